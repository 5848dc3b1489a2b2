import type { Services } from '../services.js';
import type { AvailabilityReporter, AvailabilityResult } from '../telemetry/telemetry.js';

/** The name the probe's results carry in Application Insights → Availability. */
export const AVAILABILITY_PROBE_NAME = 'engage-api-dependencies';

/**
 * P12: runs the same dependency checks as `GET /api/health` from inside the app and
 * reports one availability result. The web test sees the app from outside; this probe
 * keeps reporting which dependency failed even when the front end is fine. The message
 * is a fixed vocabulary (`cosmos=ok blob=unavailable`), never request data.
 */
export async function runAvailabilityProbe(
  services: Pick<Services, 'health' | 'config'>,
  reporter: AvailabilityReporter,
): Promise<AvailabilityResult> {
  const started = performance.now();
  let result: Omit<AvailabilityResult, 'durationMs'>;
  try {
    const report = await services.health();
    result = {
      name: AVAILABILITY_PROBE_NAME,
      success: report.status === 'ok',
      runLocation: services.config.region ?? 'local',
      message: Object.entries(report.checks).map(([dependency, status]) => `${dependency}=${status}`).join(' '),
      properties: { version: report.version, ...report.checks },
    };
  } catch (error) {
    result = {
      name: AVAILABILITY_PROBE_NAME,
      success: false,
      runLocation: services.config.region ?? 'local',
      message: `probe-failed ${error instanceof Error ? error.name : typeof error}`,
      properties: { version: services.config.version },
    };
  }
  const completed = { ...result, durationMs: Math.round(performance.now() - started) };
  reporter.trackAvailability(completed);
  return completed;
}
