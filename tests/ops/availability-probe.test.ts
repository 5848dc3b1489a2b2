import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { availabilityProbeTimer } from '../../lib/health/availability-probe-timer.js';
import { functionManifest } from '../../lib/app/function-manifest.js';
import { featuresByName, functionRegistrations } from '../../lib/app/function-registrations.js';
import { FEATURES } from '../../lib/features.js';
import { AVAILABILITY_PROBE_NAME, runAvailabilityProbe } from '../../lib/health/availability-probe.js';
import type { AvailabilityResult } from '../../lib/telemetry/telemetry.js';
import { generateDevKeys } from '../../local/dev-issuer.js';
import { startLocalApp, type LocalApp } from '../../local/local-app.js';
import { freePort, startCosmosEmulator, type ChildService } from '../../local/stack.js';
import { recordingIngestion } from '../telemetry/support/recording-ingestion.js';

function recordingReporter() {
  const results: AvailabilityResult[] = [];
  return { results, trackAvailability: (result: AvailabilityResult) => results.push(result) };
}

describe('availability probe (P12)', () => {
  const ingestion = recordingIngestion();
  let cosmos: ChildService;
  let app: LocalApp;

  beforeAll(async () => {
    vi.stubEnv('APPLICATIONINSIGHTS_STATSBEAT_DISABLED', 'true');
    // A Cosmos emulator of its own, so the test can stop it without disturbing other files.
    cosmos = await startCosmosEmulator(await freePort(), true);
    app = await startLocalApp({
      cosmosEndpoint: cosmos.endpoint,
      blobEndpoint: inject('blobEndpoint'),
      devKeys: await generateDevKeys(),
      port: 0,
      env: {
        APP_VERSION: '2.0.0-probe',
        AZURE_REGION: 'norwayeast',
        APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://ingest.invalid/',
      },
      telemetryIngestion: ingestion.httpClient,
    });
  });

  afterAll(async () => {
    await app.close();
    await cosmos.stop();
    vi.unstubAllEnvs();
  });

  it('is a timer function that runs every 5 minutes', () => {
    const registered = functionRegistrations(functionManifest(FEATURES), featuresByName(FEATURES), () => Promise.resolve(app.services)).flatMap((fn) =>
      fn.kind === 'timer' ? [{ name: fn.name, schedule: fn.schedule }] : [],
    );
    expect(registered).toContainEqual({ name: 'availability-probe', schedule: '0 */5 * * * *' });
    expect(registered).toContainEqual({ name: 'mailing', schedule: '0 */5 * * * *' });
  });

  it('reports success, with the version, per-dependency status, duration and the region, while both emulators are up', async () => {
    const reporter = recordingReporter();
    const result = await runAvailabilityProbe(app.services, reporter);
    expect(reporter.results).toEqual([result]);
    expect(result).toMatchObject({
      name: AVAILABILITY_PROBE_NAME,
      success: true,
      runLocation: 'norwayeast',
      message: 'cosmos=ok blob=ok',
      properties: { version: '2.0.0-probe', cosmos: 'ok', blob: 'ok' },
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.durationMs).toBeLessThan(3000);
  });

  it('the timer sends the result to Application Insights as an availability result', async () => {
    await availabilityProbeTimer.run(app.services);
    const availability = ingestion.envelopes().filter((envelope) => envelope.data.baseType === 'AvailabilityData');
    expect(availability.at(-1)?.data.baseData).toMatchObject({
      name: AVAILABILITY_PROBE_NAME,
      success: true,
      runLocation: 'norwayeast',
      message: 'cosmos=ok blob=ok',
    });
  });

  it('reports failure naming Cosmos DB when its emulator is stopped, and Application Insights gets it', async () => {
    await cosmos.stop();
    const reporter = recordingReporter();
    const result = await runAvailabilityProbe(app.services, reporter);
    expect(result).toMatchObject({
      success: false,
      message: 'cosmos=unavailable blob=ok',
      properties: { cosmos: 'unavailable', blob: 'ok' },
    });
    // The health checks time out after 3 s: the probe never hangs a timer invocation.
    expect(result.durationMs).toBeLessThan(4000);

    await availabilityProbeTimer.run(app.services);
    const availability = ingestion.envelopes().filter((envelope) => envelope.data.baseType === 'AvailabilityData');
    expect(availability.at(-1)?.data.baseData).toMatchObject({ success: false, message: 'cosmos=unavailable blob=ok' });
  });

  it('reports a failed probe, not a crash, when the checks themselves throw (fault injected)', async () => {
    const reporter = recordingReporter();
    const result = await runAvailabilityProbe(
      { config: app.services.config, health: () => Promise.reject(new TypeError('boom')) },
      reporter,
    );
    expect(result).toMatchObject({ success: false, message: 'probe-failed TypeError', runLocation: 'norwayeast' });
  });
});
