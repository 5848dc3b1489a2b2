/** A once-a-day schedule in UTC: what the Azure timer (NCRONTAB) and the local timers both run on. */
export interface DailySchedule {
  hourUtc: number;
  minuteUtc: number;
}

/** Azure Functions' six-field NCRONTAB: second minute hour day month day-of-week. */
export function ncrontab(schedule: DailySchedule): string {
  return `0 ${schedule.minuteUtc} ${schedule.hourUtc} * * *`;
}

/** The first time the schedule fires strictly after `after`. */
export function nextOccurrence(schedule: DailySchedule, after: Date): Date {
  const next = new Date(Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate(), schedule.hourUtc, schedule.minuteUtc));
  if (next.getTime() <= after.getTime()) next.setUTCDate(next.getUTCDate() + 1);
  return next;
}
