import { beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../lib/config/config.js';
import { createLogger } from '../../lib/logger.js';
import { startAppInsights } from '../../lib/telemetry/app-insights.js';
import type { Telemetry } from '../../lib/telemetry/telemetry.js';
import { COSMOS_EMULATOR_KEY } from '../../local/stack.js';
import { recordingIngestion, type Envelope } from './support/recording-ingestion.js';

const CONNECTION_STRING = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://ingest.invalid/';

function byBaseType(envelopes: Envelope[], baseType: string): Envelope[] {
  return envelopes.filter((envelope) => envelope.data.baseType === baseType);
}

describe('Application Insights pipeline (real SDK and exporter; the ingestion request is recorded)', () => {
  const ingestion = recordingIngestion();
  let telemetry: Telemetry;

  beforeAll(async () => {
    vi.stubEnv('APPLICATIONINSIGHTS_STATSBEAT_DISABLED', 'true');
    telemetry = await startAppInsights({ connectionString: CONNECTION_STRING, authentication: undefined }, createLogger(() => undefined), ingestion.httpClient);
  });

  it('sends an availability result with its name, outcome, duration and run location', async () => {
    telemetry.trackAvailability({
      name: 'engage-api-dependencies',
      success: false,
      durationMs: 1234,
      runLocation: 'norwayeast',
      message: 'cosmos=unavailable blob=ok',
      properties: { version: '1.2.3', cosmos: 'unavailable', blob: 'ok' },
    });
    await telemetry.flush();
    const [availability] = byBaseType(ingestion.envelopes(), 'AvailabilityData');
    expect(availability?.data.baseData).toMatchObject({
      name: 'engage-api-dependencies',
      success: false,
      duration: '00:00:01.234',
      runLocation: 'norwayeast',
      message: 'cosmos=unavailable blob=ok',
      properties: { version: '1.2.3', cosmos: 'unavailable', blob: 'ok' },
    });
  });

  it('keeps the job name the retention alert reads, and scrubs personal data from events and metrics', async () => {
    telemetry.trackEvent('RetentionJobCompleted', {
      jobName: 'anonymise-usage',
      studentName: 'Kanari',
      note: 'call +47 41 23 45 67',
      clientIp: '203.0.113.77',
      url: 'https://app.example.no/x?email=kanari.fuglesang%40canary.test',
    });
    telemetry.trackMetric('ErasureBacklog', 7, { municipalityId: '0301', contactEmail: 'kanari.fuglesang@canary.test' });
    await telemetry.flush();
    const envelopes = ingestion.envelopes();
    const [event] = byBaseType(envelopes, 'EventData').filter((envelope) => envelope.data.baseData.name === 'RetentionJobCompleted');
    expect(event?.data.baseData.properties).toEqual({
      jobName: 'anonymise-usage',
      studentName: '[redacted]',
      note: '[redacted]',
      clientIp: '203.0.113.0',
      url: 'https://app.example.no/x',
    });
    const metric = byBaseType(envelopes, 'MetricData').find((envelope) =>
      (envelope.data.baseData.metrics as { name: string }[]).some((m) => m.name === 'ErasureBacklog'),
    );
    expect(metric?.data.baseData.metrics).toEqual([expect.objectContaining({ name: 'ErasureBacklog', value: 7 })]);
    expect(metric?.data.baseData.properties).toEqual({ municipalityId: '0301', contactEmail: '[redacted]' });
    expect(JSON.stringify(metric)).not.toContain('canary');
  });

  it('scrubs the availability message and custom dimensions by pattern', async () => {
    telemetry.trackAvailability({
      name: 'engage-api-dependencies',
      success: true,
      durationMs: 5,
      runLocation: 'norwayeast',
      message: 'ok for Kanari Fuglesang at 203.0.113.77',
      properties: { comment: 'Kanari', version: '1.2.3' },
    });
    await telemetry.flush();
    const last = byBaseType(ingestion.envelopes(), 'AvailabilityData').at(-1);
    expect(last?.data.baseData).toMatchObject({
      message: 'ok for [name] at 203.0.113.0',
      properties: { comment: '[redacted]', version: '1.2.3' },
    });
  });

  it('sends no request telemetry of its own: the Functions host records requests', () => {
    expect(byBaseType(ingestion.envelopes(), 'RequestData')).toEqual([]);
  });
});

describe('telemetry configuration', () => {
  const base = {
    ENGAGE_MODE: 'local',
    COSMOS_ENDPOINT: 'https://127.0.0.1:1',
    COSMOS_KEY: COSMOS_EMULATOR_KEY,
    BLOB_ENDPOINT: 'http://127.0.0.1:1/devstoreaccount1',
    BLOB_ACCOUNT_NAME: 'devstoreaccount1',
    BLOB_ACCOUNT_KEY: 'key',
  };

  it('reads Entra ID authentication with and without a client id, and none when unset', () => {
    const clientId = '11111111-2222-3333-4444-555555555555';
    expect(loadConfig({ ...base, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `Authorization=AAD;ClientId=${clientId}` }).appInsightsAuthentication).toEqual({ clientId });
    expect(loadConfig({ ...base, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD' }).appInsightsAuthentication).toEqual({ clientId: undefined });
    expect(loadConfig(base).appInsightsAuthentication).toBeUndefined();
  });

  it('refuses a connection string that is not one, so telemetry cannot go missing silently', () => {
    expect(() => loadConfig({ ...base, APPLICATIONINSIGHTS_CONNECTION_STRING: 'https://appi.example' })).toThrow(/APPLICATIONINSIGHTS_CONNECTION_STRING/);
    expect(loadConfig({ ...base, APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING }).appInsightsConnectionString).toBe(CONNECTION_STRING);
  });

  it('refuses an authentication string it does not understand, without echoing it', () => {
    expect(() => loadConfig({ ...base, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=Key;Secret=hunter2' })).toThrow(
      /APPLICATIONINSIGHTS_AUTHENTICATION_STRING: must be "Authorization=AAD"/,
    );
    expect(() => loadConfig({ ...base, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=Key;Secret=hunter2' })).not.toThrow(/hunter2/);
  });
});

describe('a broken telemetry set-up (fault injected: an unusable connection string)', () => {
  it('never fails the caller: track calls are logged as telemetry-failed and flush resolves', async () => {
    const lines: string[] = [];
    const broken = await startAppInsights({ connectionString: 'not-a-connection-string', authentication: undefined }, createLogger((_level, line) => lines.push(line)));
    expect(() => broken.trackEvent('RetentionJobCompleted', { jobName: 'anonymise-usage' })).not.toThrow();
    expect(() => broken.trackMetric('ErasureBacklog', 1)).not.toThrow();
    await expect(broken.flush()).resolves.toBeUndefined();
    expect(lines.map((line) => JSON.parse(line) as { event: string })).toContainEqual(expect.objectContaining({ event: 'telemetry-failed' }));
  });
});
