/**
 * When a timer fires, in UTC: once a day at a time, or every few minutes on the minute.
 * The Azure timer trigger (NCRONTAB) and the local host's timers read the same value.
 */
export type Schedule = { dailyAt: { hourUtc: number; minuteUtc: number } } | { everyMinutes: number };

/** Azure Functions' six-field NCRONTAB: second minute hour day month day-of-week. */
export function ncrontab(schedule: Schedule): string {
  if ('everyMinutes' in schedule) return `0 */${schedule.everyMinutes} * * * *`;
  return `0 ${schedule.dailyAt.minuteUtc} ${schedule.dailyAt.hourUtc} * * *`;
}

/** The first time the schedule fires strictly after `after`, as the NCRONTAB expression would. */
export function nextOccurrence(schedule: Schedule, after: Date): Date {
  if ('everyMinutes' in schedule) {
    // `*/n` fires at the minutes of the hour divisible by n, and again at minute 0.
    const next = new Date(after.getTime());
    next.setUTCSeconds(0, 0);
    do next.setUTCMinutes(next.getUTCMinutes() + 1);
    while (next.getUTCMinutes() % schedule.everyMinutes !== 0);
    return next;
  }
  const { hourUtc, minuteUtc } = schedule.dailyAt;
  const next = new Date(Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate(), hourUtc, minuteUtc));
  if (next.getTime() <= after.getTime()) next.setUTCDate(next.getUTCDate() + 1);
  return next;
}
