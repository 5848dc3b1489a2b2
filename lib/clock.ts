export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** `YYYY-MM` (UTC). */
export function monthOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}
