import { randomUUID } from 'node:crypto';
import type { PluginConfig } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startStallingProxy, type StallingProxy } from '../support/stalling-proxy.js';
import { registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The database stalls (injected on purpose: a proxy holds Cosmos DB's answers while the
 * requests still reach it). A request must not hang with it, and a client that retries a
 * POST with its Idempotency-Key, as the 503's Retry-After tells it to, must not write twice.
 */
const DEADLINE_MS = 1_500;
let proxy: StallingProxy;
let test: TestApp;
let operator: string;

beforeAll(async () => {
  proxy = await startStallingProxy(inject('cosmosEndpoint'));
  test = await startTestApp({ cosmosEndpoint: proxy.endpoint, env: { REQUEST_DEADLINE_MS: String(DEADLINE_MS) } });
  operator = await test.operatorToken();
  await registerMunicipality(test, '0301');
}, 60_000);
afterAll(async () => {
  proxy.resume();
  await test.close();
  await proxy.close();
});

/**
 * A fault injected on purpose: the first write of a matching document goes through, and its
 * answer is held until `release`, as when the database stalls just after writing.
 */
function holdAnswerAfterWrite(matches: (document: Record<string, unknown>) => boolean): { plugin: PluginConfig; release(): void } {
  let armed = true;
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    release,
    plugin: {
      on: 'request',
      plugin: async (context, diagnostics, next) => {
        const { operationType, body } = context as { operationType?: string; body?: unknown };
        const document = typeof body === 'string' ? (JSON.parse(body) as Record<string, unknown>) : (body as Record<string, unknown> | undefined);
        const response = await next(context);
        if (armed && operationType === 'create' && document && matches(document)) {
          armed = false;
          await released;
        }
        return response;
      },
    },
  };
}

/** Stalls the database for `ms` (or until the test resumes it), whatever the test awaits meanwhile. */
function stallFor(ms: number): void {
  proxy.stall();
  setTimeout(() => proxy.resume(), ms).unref();
}

async function complaintsWith(app: TestApp, marker: string): Promise<number> {
  const { resources } = await app.app.services.cosmos.containers.platform.items
    .query<number>({ query: "SELECT VALUE COUNT(1) FROM c WHERE c.type = 'complaint' AND c.text = @text", parameters: [{ name: '@text', value: marker }] })
    .fetchAll();
  return resources[0] ?? 0;
}

describe('a stalled database (stall injected by a proxy)', () => {
  it('a read answers 503 with Retry-After at the deadline, not when the stall ends', async () => {
    expect((await test.request('GET', '/municipalities/0301', { token: operator })).status).toBe(200);
    stallFor(8_000);
    const started = performance.now();
    const read = await test.request('GET', '/municipalities/0301', { token: operator });
    const elapsed = performance.now() - started;
    proxy.resume();
    expect(read.status).toBe(503);
    expect(read.headers.get('retry-after')).toBe('5');
    expect(elapsed).toBeLessThan(DEADLINE_MS + 2_000);
  });

  it('a POST whose write lands as the database stalls (answer held on purpose, after the write) is written once when retried with its Idempotency-Key', async () => {
    const held = holdAnswerAfterWrite((document) => document.type === 'complaint');
    const app = await startTestApp({ composition: { cosmosPlugins: [held.plugin] }, env: { REQUEST_DEADLINE_MS: String(DEADLINE_MS) } });
    try {
      const marker = `Klage under stans ${randomUUID()}`;
      const body = { name: 'Kari Klager', contact: 'kari@example.test', text: marker };
      const headers = { 'idempotency-key': randomUUID() };
      const first = await app.request('POST', '/complaints', { body, headers });
      expect(first.status).toBe(503);
      expect(first.headers.get('retry-after')).toBe('5');
      expect(await complaintsWith(app, marker)).toBe(1);
      // A retry while the first attempt is still waiting for its answer is told to wait, and writes nothing.
      const during = await app.request('POST', '/complaints', { body, headers });
      expect(during.status, during.text).toBe(409);
      expect(during.headers.get('retry-after')).toMatch(/^\d+$/);
      held.release();
      let retry = await app.request('POST', '/complaints', { body, headers });
      for (let attempt = 0; attempt < 40 && retry.status === 409; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        retry = await app.request('POST', '/complaints', { body, headers });
      }
      expect(retry.status, retry.text).toBe(201);
      expect(await complaintsWith(app, marker)).toBe(1);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.headers.get('content-type')).toContain('application/json');
      const again = await app.request('POST', '/complaints', { body, headers });
      expect(again.body).toEqual(retry.body);
      // The same key with another request is refused, and changes nothing.
      const other = await app.request('POST', '/complaints', { body: { ...body, text: `${marker} (endret)` }, headers });
      expect(other.status).toBe(422);
      expect(await complaintsWith(app, `${marker} (endret)`)).toBe(0);
    } finally {
      held.release();
      await app.close();
    }
  }, 30_000);
});
