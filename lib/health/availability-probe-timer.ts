import { defineTimer } from '../app/feature.js';
import { runAvailabilityProbe } from './availability-probe.js';

/** P12: every 5 minutes, the health checks as an availability result in Application Insights. */
export const availabilityProbeTimer = defineTimer({
  name: 'availability-probe',
  schedule: { everyMinutes: 5 },
  uses: ['health', 'config', 'telemetry'],
  async run(services) {
    await runAvailabilityProbe(services, services.telemetry);
    // The instance may be frozen as soon as the invocation returns.
    await services.telemetry.flush();
  },
});
