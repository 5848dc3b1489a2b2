import { runAvailabilityProbe } from '../../lib/health/availability-probe.js';
import type { TimerDefinition } from './timer-definition.js';

/** P12: every 5 minutes, the health checks as an availability result in Application Insights. */
export const availabilityProbeTimer: TimerDefinition = {
  name: 'availability-probe',
  everyMinutes: 5,
  async run(services) {
    await runAvailabilityProbe(services, services.telemetry);
    // The instance may be frozen as soon as the invocation returns.
    await services.telemetry.flush();
  },
};
