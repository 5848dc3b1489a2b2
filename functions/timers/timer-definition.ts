import type { Services } from '../../lib/services.js';

/** A scheduled function: registered with `app.timer` in Azure; a local scheduler can run the same list. */
export interface TimerDefinition {
  name: string;
  /** Runs every this many minutes, on the minute: an NCRONTAB step in Azure, an interval locally. */
  everyMinutes: number;
  run(services: Services): Promise<void>;
}

/** The NCRONTAB expression (with seconds) Azure Functions timer triggers take. */
export function ncrontabOf(timer: TimerDefinition): string {
  return `0 */${timer.everyMinutes} * * * *`;
}
