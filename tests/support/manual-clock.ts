import type { Clock } from '../../lib/clock.js';

/** A clock the test moves by hand; the app, the job driver and the jobs all read it. */
export class ManualClock implements Clock {
  private time: number;

  constructor(iso = '2026-11-02T08:00:00.000Z') {
    this.time = Date.parse(iso);
  }

  now(): Date {
    return new Date(this.time);
  }

  set(iso: string): void {
    this.time = Date.parse(iso);
  }

  advance(ms: number): void {
    this.time += ms;
  }
}
