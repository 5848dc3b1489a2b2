/**
 * How long support threads and complaints are kept (docs/governance.md, "Retention"), and the
 * arithmetic the retention job and its overdue watch share. Pure: no clock, no I/O.
 *
 * - A support thread: 12 months after its last message. Long enough to see a problem come
 *   back over a school year; the privacy statement records support "to solve the problem",
 *   and a year on it is solved or forgotten.
 * - A complaint: 3 years after it was closed (resolved or referred to Datatilsynet), the
 *   general limitation period for claims (foreldelsesloven § 2), so the processor can show how
 *   it followed a complaint up for as long as that can be questioned. Open complaints are kept.
 */
import { addMonthsClamped } from '../usage/retention-policy.js';

export const SUPPORT_RETENTION_MONTHS = { default: 12, min: 1, max: 24 } as const;
export const COMPLAINT_RETENTION_MONTHS = { default: 36, min: 12, max: 120 } as const;

/** The daily run plus two hours' slack: past this, an item still stored is overdue. */
export const RETENTION_OVERDUE_AFTER_MS = 26 * 3_600_000;

/** The same instant `months` calendar months earlier (UTC), clamped to a shorter month's end: 31 March minus one month is 28/29 February. */
export function monthsBefore(instant: Date, months: number): Date {
  return addMonthsClamped(instant, -months);
}

/** Items whose clock started before this instant are due at `asOf`. */
export function retentionCutoff(asOf: Date, months: number): string {
  return monthsBefore(asOf, months).toISOString();
}

/** The cutoff of the overdue watch: due a run and its slack ago. */
export function overdueCutoff(now: Date, months: number): string {
  return retentionCutoff(new Date(now.getTime() - RETENTION_OVERDUE_AFTER_MS), months);
}
