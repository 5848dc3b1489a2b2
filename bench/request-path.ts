import { randomUUID } from 'node:crypto';
import type { StoredStudent } from '../lib/directory/students.js';
import { DEV_ISSUER } from '../local/dev-issuer.js';
import { fmt, startBenchStack, summarise, timed, type LatencySummary } from './bench-stack.js';

const MUNICIPALITY = '0301';
const STUDENTS = 300;
const ROUNDS = 5;
const PER_ROUND = 100;
const LOAD_CLIENTS = 50;
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 30);

/**
 * The request path against the raw SDK, side by side in one run on the same emulator:
 * GET a student by id vs a raw point read, and list students vs a raw query page.
 * Rounds alternate so that noise on this shared machine hits both sides alike.
 */
export async function run(): Promise<void> {
  const stack = await startBenchStack({ PRINCIPAL_CACHE_SECONDS: '300' });
  try {
    const { services, host } = stack.app;
    await services.municipalities.register({ id: MUNICIPALITY, name: 'Oslo' });
    await services.settings.initialise(MUNICIPALITY);
    const school = (await services.schools.create(MUNICIPALITY, { name: 'Benk skole' })).value;
    const subject = `bench-${randomUUID()}`;
    await services.users.create(MUNICIPALITY, { name: 'Benk Admin', email: 'benk@example.test', roles: ['data-admin'], schoolIds: [], identity: { issuer: DEV_ISSUER, subject } });
    const students: StoredStudent[] = [];
    for (let i = 0; i < STUDENTS; i += 1) {
      students.push((await services.students.create(MUNICIPALITY, { givenName: 'Elev', familyName: `Nr${i}`, birthDate: '2012-01-01', schoolId: school.id, yearLevel: 7, status: 'active' })).value);
    }
    const token = await stack.token(subject);
    const headers = { authorization: `Bearer ${token}` };
    const directory = services.cosmos.containers.directory;
    const pick = (i: number) => students[i % students.length] as StoredStudent;
    let i = 0;

    const api = {
      byId: () => fetch(`${host.url}/municipalities/${MUNICIPALITY}/students/${pick(i++).id}`, { headers }).then(async (r) => { await r.arrayBuffer(); if (r.status !== 200) throw new Error(`status ${r.status}`); }),
      list: () => fetch(`${host.url}/municipalities/${MUNICIPALITY}/students?limit=25`, { headers }).then(async (r) => { await r.arrayBuffer(); if (r.status !== 200) throw new Error(`status ${r.status}`); }),
    };
    const raw = {
      byId: () => directory.item(pick(i++).id, MUNICIPALITY).read(),
      list: () => directory.items.query({ query: "SELECT * FROM c WHERE c.municipalityId = @m AND c.type = 'student'", parameters: [{ name: '@m', value: MUNICIPALITY }] }, { partitionKey: MUNICIPALITY, maxItemCount: 25 }).fetchNext(),
    };
    await api.byId(); await api.list(); await raw.byId(); await raw.list();

    const results: Record<string, LatencySummary[]> = { 'api byId': [], 'raw byId': [], 'api list': [], 'raw list': [] };
    for (let round = 0; round < ROUNDS; round += 1) {
      results['raw byId']?.push(await timed(raw.byId, PER_ROUND));
      results['api byId']?.push(await timed(api.byId, PER_ROUND));
      results['raw list']?.push(await timed(raw.list, PER_ROUND));
      results['api list']?.push(await timed(api.list, PER_ROUND));
    }
    const merged = (name: string) => {
      const rounds = results[name] ?? [];
      const mid = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
      return { perSecond: mid(rounds.map((r) => r.perSecond)), p50: mid(rounds.map((r) => r.p50)), p99: mid(rounds.map((r) => r.p99)) };
    };

    const opsOf = async (path: string) => (await fetch(`${host.url}${path}`, { headers })).headers.get('x-engage-cosmos-operations');
    const opsById = await opsOf(`/municipalities/${MUNICIPALITY}/students/${pick(0).id}`);
    const opsList = await opsOf(`/municipalities/${MUNICIPALITY}/students?limit=25`);

    console.log(`\n## Request path vs raw SDK (${ROUNDS} alternating rounds x ${PER_ROUND} sequential requests, medians of rounds)\n`);
    console.log('| operation | raw SDK req/s | API req/s | raw p50 ms | API p50 ms | raw p99 ms | API p99 ms | API/raw latency (p50) |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const op of ['byId', 'list']) {
      const r = merged(`raw ${op}`);
      const a = merged(`api ${op}`);
      console.log(`| ${op === 'byId' ? 'GET student by id' : 'list students (25)'} | ${fmt(r.perSecond, 0)} | ${fmt(a.perSecond, 0)} | ${fmt(r.p50, 2)} | ${fmt(a.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(a.p99, 2)} | ${fmt(a.p50 / r.p50, 2)}x |`);
    }
    console.log(`\nCosmos operations per request: by id: ${opsById}; list: ${opsList} (the write is the audit entry)`);

    const latencies: number[] = [];
    let errors = 0;
    const deadline = performance.now() + LOAD_SECONDS * 1000;
    const started = performance.now();
    await Promise.all(Array.from({ length: LOAD_CLIENTS }, async () => {
      while (performance.now() < deadline) {
        const before = performance.now();
        try { await api.byId(); } catch { errors += 1; }
        latencies.push(performance.now() - before);
      }
    }));
    const load = summarise(latencies, performance.now() - started);
    console.log(`\nLoad: ${LOAD_CLIENTS} concurrent clients for ${LOAD_SECONDS} s on GET student by id: ${load.count} requests, ${errors} errors, ${fmt(load.perSecond, 0)} req/s, p50 ${fmt(load.p50, 1)} ms, p99 ${fmt(load.p99, 1)} ms`);
    if (errors > 0) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}
