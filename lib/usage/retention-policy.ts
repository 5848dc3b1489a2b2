/**
 * P10: usage information is anonymised within 3 months after the account is deleted.
 *
 * The job runs daily and anonymises an account once `delayDays` whole days have passed since
 * the day it was deleted (UTC). The delay is bounded so that the promise holds even when the
 * run that should have done it fails and ops need time to react:
 *
 *   delay + schedule period + retry margin <= shortest 3 consecutive months
 *   delay + 1               + 14           <= 89          =>  delay <= 74 days
 *
 * 89 days is February + March + April of a common year (28 + 31 + 30); no "3 months after"
 * date is closer (Jan 31 -> Apr 30 and Feb 1 -> May 1 are both 89 days).
 */
export const SHORTEST_THREE_MONTHS_DAYS = 89;
export const SCHEDULE_PERIOD_DAYS = 1;
/** Time for the overdue/no-completion alerts to reach ops and for them to re-run the job. */
export const RETRY_MARGIN_DAYS = 14;
export const MAX_ANONYMISATION_DELAY_DAYS = SHORTEST_THREE_MONTHS_DAYS - SCHEDULE_PERIOD_DAYS - RETRY_MARGIN_DAYS;
export const DEFAULT_ANONYMISATION_DELAY_DAYS = 30;

/** Request logs of callers who are no tenant account (operators, unregistered, anonymous). */
export const DEFAULT_PLATFORM_LOG_RETENTION_DAYS = 30;

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` (UTC). */
export function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  return dayOf(new Date(Date.parse(`${day}T00:00:00.000Z`) + days * DAY_MS));
}

/** Calendar months later, clamped to the end of a shorter month (Jan 31 + 1 month = Feb 28/29). */
export function addMonthsClamped(date: Date, months: number): Date {
  const target = new Date(date.getTime());
  const day = target.getUTCDate();
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target;
}

/** The latest moment the usage of an account deleted at `deletedAt` may still be identifiable. */
export function deadlineOf(deletedAt: Date): Date {
  return addMonthsClamped(deletedAt, 3);
}

/** Accounts deleted on this day or before are due on `asOf`. */
export function cutoffDay(asOf: Date, delayDays: number): string {
  return addDays(dayOf(asOf), -delayDays);
}

/** Open ledger days on or before this one may hold entries past their deadline on `asOf`. */
export function overdueCandidateDay(asOf: Date): string {
  return addDays(dayOf(asOf), -SHORTEST_THREE_MONTHS_DAYS);
}
