import { randomUUID } from 'node:crypto';
import type { Feature } from '../lib/app/feature.js';
import { FEATURES } from '../lib/features.js';
import { DEV_ISSUER, generateDevKeys } from '../local/dev-issuer.js';
import { startLocalApp } from '../local/local-app.js';
import { fmt, startBenchStack, timed, type LatencySummary } from './bench-stack.js';

const MUNICIPALITY = '0301';
const ROUNDS = 5;
const PER_ROUND = 100;
const ROOMY = JSON.stringify({ 'complaint-intake': { quota: 1_000_000, windowSeconds: 3600 }, 'complaints-platform': { quota: 1_000_000, windowSeconds: 86_400 } });

/** The same features with every route's rate limits taken off: the baseline of what limits cost. */
const UNLIMITED: readonly Feature[] = FEATURES.map((feature) => ({ ...feature, routes: feature.routes?.map(({ rateLimits: _limits, ...route }) => route) }));

/**
 * What the write guards cost on the request path, side by side in one run on one emulator,
 * in alternating rounds: a POST with an Idempotency-Key (claim + record: two more writes)
 * against the same POST without one, and a rate-limited POST (one counter increment) against
 * the same route on an app whose routes declare no limits.
 */
export async function run(): Promise<void> {
  const stack = await startBenchStack({ PRINCIPAL_CACHE_SECONDS: '300', RATE_LIMITS: ROOMY });
  const unlimited = await startLocalApp({
    cosmosEndpoint: stack.app.config.cosmos.endpoint,
    blobEndpoint: stack.app.config.blob.endpoint,
    devKeys: await generateDevKeys(),
    port: 0,
    features: UNLIMITED,
    env: { COSMOS_DATABASE: 'bench-unlimited' },
  });
  try {
    const { services, host } = stack.app;
    await services.municipalities.register({ id: MUNICIPALITY, name: 'Oslo' });
    await services.settings.initialise(MUNICIPALITY);
    const subject = `bench-${randomUUID()}`;
    await services.users.create(MUNICIPALITY, { name: 'Benk Admin', email: 'benk@example.test', roles: ['municipality-admin'], schoolIds: [], identity: { issuer: DEV_ISSUER, subject } });
    const authorization = `Bearer ${await stack.token(subject)}`;
    const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      await response.arrayBuffer();
      if (response.status !== 201) throw new Error(`status ${response.status}`);
      return response.headers.get('x-engage-cosmos-operations');
    };
    let n = 0;
    const school = () => ({ name: `Skole ${(n += 1)}` });
    const complaint = { name: 'Kari Klager', contact: 'kari@example.test', text: 'Jeg klager.' };
    const variants: Record<string, () => Promise<string | null>> = {
      'create school': () => post(`${host.url}/municipalities/${MUNICIPALITY}/schools`, school(), { authorization }),
      'create school, Idempotency-Key': () => post(`${host.url}/municipalities/${MUNICIPALITY}/schools`, school(), { authorization, 'idempotency-key': randomUUID() }),
      'file complaint, no limits declared': () => post(`${unlimited.host.url}/complaints`, complaint),
      'file complaint, 2 limits': () => post(`${host.url}/complaints`, complaint),
    };
    const operations: Record<string, string | null> = {};
    for (const [name, call] of Object.entries(variants)) operations[name] = (await call(), await call());

    const results: Record<string, LatencySummary[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [name, call] of Object.entries(variants)) results[name]?.push(await timed(call, PER_ROUND));
    }
    const median = (name: string, pick: (summary: LatencySummary) => number) => {
      const values = (results[name] ?? []).map(pick).sort((a, b) => a - b);
      return values[Math.floor(values.length / 2)] ?? 0;
    };
    console.log(`\n## Write guards (${ROUNDS} alternating rounds x ${PER_ROUND} sequential requests, medians of rounds)\n`);
    console.log('| request | req/s | p50 ms | p99 ms | Cosmos operations (steady state) |');
    console.log('|---|---|---|---|---|');
    for (const name of Object.keys(variants)) {
      console.log(`| ${name} | ${fmt(median(name, (s) => s.perSecond), 0)} | ${fmt(median(name, (s) => s.p50), 2)} | ${fmt(median(name, (s) => s.p99), 2)} | ${operations[name]} |`);
    }
    const ratio = (a: string, b: string) => fmt(median(a, (s) => s.p50) / median(b, (s) => s.p50), 2);
    console.log(`\nIdempotency-Key / none (p50): ${ratio('create school, Idempotency-Key', 'create school')}x; rate limits / none (p50): ${ratio('file complaint, 2 limits', 'file complaint, no limits declared')}x`);
  } finally {
    await unlimited.close();
    await stack.stop();
  }
}
