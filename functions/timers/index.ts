import functions from '@azure/functions';
import { processServices } from '../../lib/runtime.js';
import { availabilityProbeTimer } from './availability-probe-timer.js';
import { mailingTimer } from './mailing-timer.js';
import { ncrontabOf, type TimerDefinition } from './timer-definition.js';

// @azure/functions is a CommonJS bundle whose named exports Node's ESM loader cannot see.
const { app } = functions;

export const timers: readonly TimerDefinition[] = [availabilityProbeTimer, mailingTimer];

/** Registers every timer with the Functions host; services are built on the first run, as for HTTP. */
export function registerTimers(): void {
  for (const timer of timers) {
    app.timer(timer.name, {
      schedule: ncrontabOf(timer),
      handler: async () => timer.run(await processServices()),
    });
  }
}
