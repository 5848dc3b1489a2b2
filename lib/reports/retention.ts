import { addDays, addMonthsClamped, dayOf } from '../usage/retention-policy.js';

const DAY_MS = 86_400_000;

/**
 * How far ahead of a report's deadline the daily expiry job removes it. The job runs once a
 * day, and a deleted blob stays recoverable for the storage account's one day of soft delete;
 * removing everything whose deadline falls within the next three days means the last copy is
 * gone at least a day before the deadline even when one run starts late or Azure purges late.
 */
export const EXPIRY_LOOKAHEAD_MS = 3 * DAY_MS;

const startOf = (day: string): Date => new Date(`${day}T00:00:00.000Z`);

/** The same day `months` calendar months later, clamped to the end of a shorter month. */
function monthsAfter(day: string, months: number): string {
  return dayOf(addMonthsClamped(startOf(day), months));
}

/**
 * P4: a report created on day D (UTC) under a retention of `months` (1-12) must be gone by
 * the start of day D + months, so never later than `months` after its creation. Deadlines
 * on day boundaries keep "deadline <= t" a condition on the creation day alone, which an
 * indexed range query can answer (see `dueIfCreatedBefore`).
 */
export function deadlineOf(createdAt: Date, months: number): Date {
  return startOf(monthsAfter(dayOf(createdAt), months));
}

/**
 * The deadline that applies now: the one fixed at creation, or the one the controller's
 * current setting gives, whichever is earlier. Lowering the setting shortens existing
 * reports; raising it never lengthens them.
 */
export function effectiveDeadline(report: { createdAt: string; expiresAt: string }, currentMonths: number): Date {
  const stored = Date.parse(report.expiresAt);
  const current = deadlineOf(new Date(report.createdAt), currentMonths).getTime();
  return new Date(Math.min(stored, current));
}

/**
 * The moment X such that a report created before X has a deadline under `months` at or
 * before `moment`: `createdAt < X` exactly when `deadlineOf(createdAt, months) <= moment`.
 * "Add months" clamps at month ends (Mar 31 + 1 month = Apr 30), so its inverse steps:
 * on Apr 30 everything created up to and including Mar 31 is due.
 */
export function dueIfCreatedBefore(moment: Date, months: number): Date {
  const today = dayOf(moment);
  let lastDueDay = monthsAfter(today, -months);
  for (let step = 1; step <= 3; step++) {
    const next = addDays(lastDueDay, 1);
    if (monthsAfter(next, months) > today) break;
    lastDueDay = next;
  }
  return new Date(startOf(lastDueDay).getTime() + DAY_MS);
}
