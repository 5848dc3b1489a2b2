import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCosmosEmulator, type ChildService } from '../../local/stack.js';
import { startLocalApp, type LocalApp } from '../../local/local-app.js';
import { generateDevKeys } from '../../local/dev-issuer.js';
import { inject } from 'vitest';

describe('GET /api/health', () => {
  let cosmos: ChildService;
  let app: LocalApp;

  beforeAll(async () => {
    // A Cosmos emulator of its own, so the test can stop it without disturbing other files.
    cosmos = await startCosmosEmulator(await freePort(), true);
    app = await startLocalApp({
      cosmosEndpoint: cosmos.endpoint,
      blobEndpoint: inject('blobEndpoint'),
      devKeys: await generateDevKeys(),
      port: 0,
      env: { APP_VERSION: '1.2.3-test' },
    });
  });
  afterAll(async () => {
    await app.close();
    await cosmos.stop();
  });

  it('answers 200 with both dependencies ok and the version', async () => {
    const response = await fetch(`${app.host.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', version: '1.2.3-test', checks: { cosmos: 'ok', blob: 'ok' } });
  });

  it('answers 503 naming Cosmos DB when it is down, and recovers nothing else', async () => {
    await cosmos.stop();
    const response = await fetch(`${app.host.url}/health`);
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const body = (await response.json()) as { detail: string };
    expect(body).toMatchObject({ status: 503, checks: { cosmos: 'unavailable', blob: 'ok' } });
    expect(body.detail).toContain('cosmos');
  });
});
