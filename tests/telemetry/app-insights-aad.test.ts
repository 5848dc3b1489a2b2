import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../lib/logger.js';
import { startAppInsights } from '../../lib/telemetry/app-insights.js';
import { recordingIngestion } from './support/recording-ingestion.js';

const CLIENT_ID = '11111111-2222-3333-4444-555555555555';

describe('Application Insights with Entra ID auth (fake App Service managed-identity endpoint)', () => {
  const tokenRequests: URL[] = [];
  let identityEndpoint: Server;

  beforeAll(async () => {
    // Azure has no local managed-identity emulator: this stands in for the App Service
    // identity endpoint that @azure/identity calls on a Function App.
    identityEndpoint = createServer((request, response) => {
      tokenRequests.push(new URL(request.url ?? '/', 'http://identity'));
      const valid = request.headers['x-identity-header'] === 'identity-header';
      response.writeHead(valid ? 200 : 401, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ access_token: 'managed-identity-token', expires_on: String(Math.floor(Date.now() / 1000) + 3600), token_type: 'Bearer' }),
      );
    });
    await new Promise<void>((resolve) => identityEndpoint.listen(0, '127.0.0.1', resolve));
    vi.stubEnv('IDENTITY_ENDPOINT', `http://127.0.0.1:${(identityEndpoint.address() as AddressInfo).port}/msi/token`);
    vi.stubEnv('IDENTITY_HEADER', 'identity-header');
    vi.stubEnv('APPLICATIONINSIGHTS_STATSBEAT_DISABLED', 'true');
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await new Promise((resolve) => identityEndpoint.close(resolve));
  });

  it('sends telemetry with a bearer token of the configured user-assigned identity for Azure Monitor', async () => {
    const ingestion = recordingIngestion();
    const authorizations: (string | undefined)[] = [];
    const telemetry = await startAppInsights(
      {
        connectionString: 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://ingest.invalid/',
        authentication: { clientId: CLIENT_ID },
      },
      createLogger(() => undefined),
      {
        sendRequest: (request) => {
          authorizations.push(request.headers.get('authorization'));
          return ingestion.httpClient.sendRequest(request);
        },
      },
    );
    telemetry.trackEvent('RetentionJobCompleted', { jobName: 'anonymise-usage' });
    await telemetry.flush();

    expect(ingestion.envelopes().some((envelope) => envelope.data.baseData.name === 'RetentionJobCompleted')).toBe(true);
    expect(authorizations.length).toBeGreaterThan(0);
    expect(new Set(authorizations)).toEqual(new Set(['Bearer managed-identity-token']));
    expect(tokenRequests[0]?.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(tokenRequests[0]?.searchParams.get('resource')).toBe('https://monitor.azure.com');
  });
});
