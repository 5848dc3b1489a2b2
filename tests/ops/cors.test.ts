import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config/config.js';
import { COSMOS_EMULATOR_KEY } from '../../local/stack.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const FRONTEND = 'http://localhost:5173';
const ADMIN = 'https://admin.example.no';
const OTHER = 'https://evil.example';

describe('CORS for the frontend (local host honours CORS_ALLOWED_ORIGINS)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: { CORS_ALLOWED_ORIGINS: `${FRONTEND},${ADMIN}` } });
  });
  afterAll(() => test.close());

  const preflight = (origin: string) =>
    fetch(`${test.url}/me`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization, content-type, if-match' },
    });

  it.each([FRONTEND, ADMIN])('answers a preflight from the allowed origin %s with that origin, credentials, methods and headers', async (origin) => {
    const response = await preflight(origin);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-methods')).toContain('PATCH');
    const allowedHeaders = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const header of ['authorization', 'content-type', 'if-match']) expect(allowedHeaders).toContain(header);
    expect(response.headers.get('vary')).toContain('Origin');
  });

  it('a problem answered to the frontend varies on both the origin and the language, so no cache serves one to the other', async () => {
    const response = await fetch(`${test.url}/me`, { headers: { origin: FRONTEND, 'accept-language': 'nb' } });
    expect(response.status).toBe(401);
    const vary = (response.headers.get('vary') ?? '').split(',').map((name) => name.trim());
    expect(vary).toEqual(expect.arrayContaining(['Origin', 'Accept-Language']));
    expect(await response.json()).toMatchObject({ title: 'Innlogging kreves' });
  });

  it('gives a preflight from any other origin no CORS headers at all', async () => {
    const response = await preflight(OTHER);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('marks a normal response to an allowed origin with that origin, never "*"', async () => {
    const response = await fetch(`${test.url}/health`, { headers: { origin: FRONTEND } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('vary')).toContain('Origin');
  });

  it('lets the frontend read error problems too (401 and unknown routes)', async () => {
    for (const path of ['/me', '/no-such-route']) {
      const response = await fetch(`${test.url}${path}`, { headers: { origin: FRONTEND } });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    }
  });

  it('does not mark a normal response to another origin, nor a request without Origin', async () => {
    const other = await fetch(`${test.url}/health`, { headers: { origin: OTHER } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const sameOrigin = await fetch(`${test.url}/health`);
    expect(sameOrigin.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS configuration', () => {
  const base = {
    ENGAGE_MODE: 'local',
    COSMOS_ENDPOINT: 'https://127.0.0.1:1',
    COSMOS_KEY: COSMOS_EMULATOR_KEY,
    BLOB_ENDPOINT: 'http://127.0.0.1:1/devstoreaccount1',
    BLOB_ACCOUNT_NAME: 'devstoreaccount1',
    BLOB_ACCOUNT_KEY: 'key',
  };

  it('refuses a wildcard origin: credentials are allowed, so origins must be named', () => {
    expect(() => loadConfig({ ...base, CORS_ALLOWED_ORIGINS: '*' })).toThrow(ConfigError);
    expect(loadConfig({ ...base, CORS_ALLOWED_ORIGINS: `${FRONTEND}, ${ADMIN}` }).corsAllowedOrigins).toEqual([FRONTEND, ADMIN]);
  });
});
