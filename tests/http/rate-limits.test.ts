import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureRoutes } from '../../lib/app/feature.js';
import { FEATURES } from '../../lib/features.js';
import { startAppProcess } from '../support/app-process.js';
import { ManualClock } from '../support/manual-clock.js';
import { createStaffUser, registerMunicipality, startTestApp, type RequestOptions, type SeededUser, type TestApp, type TestResponse } from '../support/test-app.js';

/**
 * Rate limits on public and low-privilege writes: counted in Cosmos DB per caller (identity,
 * or the client address of an anonymous call) and platform-wide, answered with 429, Retry-After
 * and the IETF RateLimit fields. Quotas are lowered here (RATE_LIMITS) so a few calls reach them.
 */
const SMALL = { quota: 3, windowSeconds: 3600 };
const LIMITS = Object.fromEntries(
  featureRoutes(FEATURES).flatMap((route) => route.rateLimits ?? []).map((policy) => [policy.name, policy.per === 'platform' ? { quota: 1_000_000, windowSeconds: 86_400 } : SMALL]),
);
const clock = new ManualClock('2026-11-02T08:10:00.000Z');
let test: TestApp;
let teacher: SeededUser;
let operator: string;

beforeAll(async () => {
  test = await startTestApp({ clock, env: { RATE_LIMITS: JSON.stringify(LIMITS) } });
  operator = await test.operatorToken();
  await registerMunicipality(test, '0301');
  teacher = await createStaffUser(test, '0301', ['teacher']);
}, 60_000);
afterAll(() => test.close());

const complaint = { name: 'Kari Klager', contact: 'kari@example.test', text: 'Jeg klager.' };

async function storedComplaints(): Promise<number> {
  return (await test.request('GET', '/complaints?limit=100', { token: operator })).body.items.length;
}

function expectRateLimited(response: TestResponse<any>, policy: string, quota: number, windowSeconds: number, resetSeconds: number): void {
  expect(response.status, response.text).toBe(429);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  expect(response.body.type).toBe('urn:engage:problem:rate-limited');
  expect(response.headers.get('retry-after')).toBe(String(resetSeconds));
  expect(response.headers.get('ratelimit')).toContain(`"${policy}";r=0;t=${resetSeconds}`);
  expect(response.headers.get('ratelimit-policy')).toContain(`"${policy}";q=${quota};w=${windowSeconds}`);
}

describe('limits per caller', () => {
  it('complaints: the fourth from one address within the hour is 429 with Retry-After and RateLimit fields, and is not stored', async () => {
    for (let remaining = 2; remaining >= 0; remaining--) {
      const filed = await test.request('POST', '/complaints', { body: complaint });
      expect(filed.status).toBe(201);
      expect(filed.headers.get('ratelimit')).toContain(`"complaint-intake";r=${remaining};t=3000`);
    }
    const refused = await test.request('POST', '/complaints', { body: complaint });
    expectRateLimited(refused, 'complaint-intake', 3, 3600, 3000);
    expect(refused.text).not.toContain('Kari');
    expect(await storedComplaints()).toBe(3);
    // The next window opens on time.
    clock.advance(3000 * 1000);
    expect((await test.request('POST', '/complaints', { body: complaint })).status).toBe(201);
  });

  it('support requests count per identity: one identity at its limit does not stop another, even an unregistered one', async () => {
    const body = { subject: 'Hjelp', message: 'Et spørsmål' };
    const stranger = await test.token('stranger-without-account');
    for (let i = 0; i < 3; i++) expect((await test.request('POST', '/support-requests', { token: stranger, body })).status).toBe(201);
    const refused = await test.request('POST', '/support-requests', { token: stranger, body });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await test.request('POST', '/support-requests', { token: teacher.token, body })).status).toBe(201);
  });

  // Every route that declares a caller limit, with a valid request: a new limited route needs a line here.
  const REQUESTS: Record<string, (user: SeededUser) => Promise<[string, string, RequestOptions]>> = {
    'file-complaint': async () => ['POST', '/complaints', { body: complaint }],
    'open-support-request': async (user) => ['POST', '/support-requests', { token: user.token, body: { subject: 'Spørsmål', message: 'Hei' } }],
    'add-support-message': async (user) => {
      const opened = await test.request('POST', '/support-requests', { token: user.token, body: { subject: 'Tråd', message: 'Første' }, headers: {} });
      return ['POST', `/support-requests/${opened.body.id}/messages`, { token: user.token, body: { text: 'Mer' } }];
    },
    'record-usage-events': async (user) => ['POST', '/usage/events', { token: user.token, body: { events: [{ type: 'page-view', feature: 'students', at: clock.now().toISOString(), deviceId: 'device-0001-abcd' }] } }],
    'register-device': async (user) => ['POST', '/me/devices', { token: user.token, body: { deviceId: 'device-0001-abcd', model: 'iPhone 15', osVersion: '17.4' } }],
    'start-session': async (user) => ['POST', '/session', { token: user.token, body: { language: 'nb' } }],
  };

  for (const route of featureRoutes(FEATURES).filter((candidate) => candidate.rateLimits?.some((policy) => policy.per === 'caller'))) {
    it(`${route.name} (${route.method} ${route.path}) answers 429 once its caller limit is spent`, async () => {
      const build = REQUESTS[route.name];
      expect(build, `a request for ${route.name} in this test`).toBeDefined();
      clock.advance(3600 * 1000);
      // A fresh staff user per route; the support thread of add-support-message is opened by a second identity's quota.
      const user = await createStaffUser(test, '0301', ['teacher']);
      const [method, path, options] = await build!(user);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await test.request(method, path, options)).status);
      expect(statuses.slice(0, 3).every((status) => status < 300), statuses.join()).toBe(true);
      expect(statuses[3]).toBe(429);
    });
  }
});

describe('limits shared across instances, and the platform-wide ceiling', () => {
  it('two instances of the app (two processes) on one database count together', async () => {
    // Both on the real clock, so that they are in the same window (a day: a test never straddles it in practice).
    const daily = JSON.stringify({ ...LIMITS, 'complaint-intake': { quota: 3, windowSeconds: 86_400 } });
    const first = await startTestApp({ env: { RATE_LIMITS: daily } });
    const second = await startAppProcess({ database: first.app.config.cosmos.database, keys: first.keys, env: { RATE_LIMITS: daily } });
    try {
      const statuses = [];
      for (const app of [first, second, first, second]) statuses.push((await app.request('POST', '/complaints', { body: complaint })).status);
      expect(statuses).toEqual([201, 201, 201, 429]);
    } finally {
      await second.stop();
      await first.close();
    }
  }, 60_000);

  it('complaints stop platform-wide at the daily ceiling, whatever the address', async () => {
    const ceiling = { ...LIMITS, 'complaint-intake': { quota: 1_000_000, windowSeconds: 3600 }, 'complaints-platform': { quota: 2, windowSeconds: 86_400 } };
    const other = await startTestApp({ clock, env: { RATE_LIMITS: JSON.stringify(ceiling) } });
    try {
      expect((await other.request('POST', '/complaints', { body: complaint })).status).toBe(201);
      expect((await other.request('POST', '/complaints', { body: complaint })).status).toBe(201);
      const refused = await other.request('POST', '/complaints', { body: complaint });
      const resetSeconds = 86_400 - (Math.floor(clock.now().getTime() / 1000) % 86_400);
      expectRateLimited(refused, 'complaints-platform', 2, 86_400, resetSeconds);
    } finally {
      await other.close();
    }
  });
});

describe('the contract says so', () => {
  it('OpenAPI documents 429 with Retry-After and the RateLimit fields on every limited route, and Idempotency-Key on every POST', async () => {
    const document = (await test.request('GET', '/openapi.json')).body;
    const resolve = (node: { $ref?: string; [key: string]: unknown }) => {
      if (!node.$ref) return node;
      const [, , section = '', name = ''] = node.$ref.split('/');
      return document.components[section][name];
    };
    const routes = featureRoutes(FEATURES).filter((route) => !route.localOnly);
    for (const route of routes) {
      const operation = document.paths[`/api${route.path}`][route.method.toLowerCase()];
      // Every route lists 429: deployed, the API Management gateway limits each per client IP.
      expect(operation.responses['429'], route.name).toEqual({ $ref: '#/components/responses/TooManyRequests' });
      const successHeaders = Object.keys(operation.responses[String(route.successStatus)].headers ?? {});
      if (route.rateLimits?.length) expect(successHeaders, route.name).toEqual(expect.arrayContaining(['RateLimit', 'RateLimit-Policy']));
      else expect(successHeaders, route.name).not.toContain('RateLimit');
      const parameters = (operation.parameters ?? []).map(resolve).map((parameter: { name: string }) => parameter.name);
      if (route.method === 'POST') expect(parameters, route.name).toContain('Idempotency-Key');
    }
    expect(Object.keys(document.components.responses.TooManyRequests.headers)).toEqual(expect.arrayContaining(['Retry-After', 'RateLimit', 'RateLimit-Policy']));
  });
});
