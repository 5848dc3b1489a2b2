import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { DEV_AUDIENCE, DEV_ISSUER, generateDevKeys, mintDevToken } from '../local/dev-issuer.js';
import { startLocalApp } from '../local/local-app.js';
import { COSMOS_EMULATOR_KEY, freePort, startAzurite, startCosmosEmulator, type ChildService } from '../local/stack.js';
import { fmt } from './bench-stack.js';

const here = dirname(fileURLToPath(import.meta.url));
const MUNICIPALITY = '0301';
const STUDENTS = 300;
const ROUNDS = Number(process.env.BENCH_PEER_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_PEER_SECONDS ?? 3);
/** BENCH_PEER_REQUESTS=<n>: each run makes n requests instead of running for a time, so every side does the same work (for CPU per request). */
const REQUESTS = process.env.BENCH_PEER_REQUESTS ? Number(process.env.BENCH_PEER_REQUESTS) : undefined;
/** BENCH_PEER_CONNECTIONS=16 (or 1) measures at that concurrency only. */
const CONNECTIONS = (process.env.BENCH_PEER_CONNECTIONS ?? '1,16').split(',').map(Number);
/** BENCH_PEER_APP_NODE_FLAGS: Node flags for the app's process only (e.g. to measure a runtime option). */
const APP_NODE_FLAGS = (process.env.BENCH_PEER_APP_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/** BENCH_PEER_OPERATIONS=byId (or list) runs only that operation, e.g. to profile it. */
const SELECTED = (process.env.BENCH_PEER_OPERATIONS ?? 'byId,list').split(',') as Operation[];
/**
 * BENCH_PEER_BASELINE=<checkout>: also runs the app of another checkout (a worktree of an
 * earlier commit, sharing node_modules) as `baseline`, so a change is measured side by side
 * with what it changes; BENCH_PEER_TARGETS=app,baseline then skips the peers.
 */
const BASELINE = process.env.BENCH_PEER_BASELINE;
const DIGEST_KEY = 'bench-peer-digest-key-0123456789abcdef';
const TICKS_PER_SECOND = 100;

type Target = 'app' | 'peer' | 'peer+audit' | 'baseline';
type Operation = 'byId' | 'list';
const TARGETS: readonly Target[] = (process.env.BENCH_PEER_TARGETS?.split(',') as Target[] | undefined) ?? ['app', 'peer', 'peer+audit', ...(BASELINE ? ['baseline' as const] : [])];
const OPERATIONS: Record<Operation, string> = { byId: 'GET student by id', list: 'list 25 students' };

interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

interface Measurement {
  requests: number;
  errors: number;
  perSecond: number;
  p50: number;
  p99: number;
  serverCpuUs: number;
  emulatorCpuUs: number;
}

/**
 * The app against the server a team would write by hand for the same reads (bench/peer/),
 * on one emulator, in alternating rounds: GET a student by id and list 25 students at 1 and
 * 16 connections (autocannon), with request rate, latency, CPU per request of the server and
 * of the emulator (from /proc/<pid>/stat) and the ratios of each round, app over peer.
 */
export async function run(): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), 'engage-bench-peer-'));
  const services: ChildService[] = [];
  const servers: Server[] = [];
  try {
    const cosmosPort = await freePort();
    services.push(await startCosmosEmulator(cosmosPort, true), await startAzurite(await freePort(), directory, true));
    const [cosmos, azurite] = services as [ChildService, ChildService];
    const emulatorPid = childPidRunning(`cosmos-emulator-server.mjs ${cosmosPort}`);
    const keys = await generateDevKeys();
    const env = { COSMOS_DATABASE: 'bench-peer', PRINCIPAL_CACHE_SECONDS: '300', PRIVACY_DIGEST_KEY: DIGEST_KEY };
    const { studentIds, subject } = await seed(cosmos.endpoint, azurite.endpoint, keys, env);
    const token = await mintDevToken(keys, subject);

    const appEnv = { ...env, COSMOS_ENDPOINT: cosmos.endpoint, BLOB_ENDPOINT: azurite.endpoint, ENGAGE_BENCH_DEV_KEYS: JSON.stringify(keys) };
    const app = await startServer(join(here, 'peer', 'app-server.ts'), appEnv, APP_NODE_FLAGS);
    servers.push(app);
    const baseline = BASELINE ? await startServer(join(BASELINE, 'bench', 'peer', 'app-server.ts'), appEnv, APP_NODE_FLAGS) : undefined;
    if (baseline) servers.push(baseline);
    const peerEnv = { ...env, COSMOS_ENDPOINT: cosmos.endpoint, COSMOS_KEY: COSMOS_EMULATOR_KEY, ENGAGE_PEER_JWKS_URI: `${app.url}/dev/jwks`, ENGAGE_PEER_ISSUER: DEV_ISSUER, ENGAGE_PEER_AUDIENCE: DEV_AUDIENCE };
    const peer = await startServer(join(here, 'peer', 'peer-server.ts'), peerEnv);
    servers.push(peer);
    const peerAudit = await startServer(join(here, 'peer', 'peer-server.ts'), { ...peerEnv, ENGAGE_PEER_AUDIT: '1' });
    servers.push(peerAudit);
    const byTarget: Record<Target, Server> = { app, peer, 'peer+audit': peerAudit, baseline: baseline ?? app };

    const paths: Record<Operation, (i: number) => string> = {
      byId: (i) => `/municipalities/${MUNICIPALITY}/students/${studentIds[i % studentIds.length] ?? ''}`,
      list: () => `/municipalities/${MUNICIPALITY}/students?limit=25`,
    };
    const headers = { authorization: `Bearer ${token}` };
    for (const operation of ['byId', 'list'] as const) {
      const bodies = await Promise.all(TARGETS.map(async (target) => (await fetch(`${byTarget[target].url}${paths[operation](0)}`, { headers })).text()));
      if (new Set(bodies).size !== 1) throw new Error(`${operation}: the app and the peers answer different bodies:\n${bodies.join('\n')}`);
    }
    const operationsHeader = async (operation: Operation) => (await fetch(`${app.url}${paths[operation](1)}`, { headers })).headers.get('x-engage-cosmos-operations');
    const appOperations = { byId: await operationsHeader('byId'), list: await operationsHeader('list') };

    const results = new Map<string, Measurement[]>();
    const key = (operation: Operation, connections: number, target: Target) => `${operation}/${connections}/${target}`;
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const connections of CONNECTIONS) {
        for (const operation of SELECTED) {
          // The order rotates, so no side always runs first (or last) after a pause.
          const order = TARGETS.map((_, index) => TARGETS[(index + round) % TARGETS.length] as Target);
          for (const target of order) {
            const measured = await measure(byTarget[target], emulatorPid, paths[operation], headers, connections);
            const list = results.get(key(operation, connections, target)) ?? [];
            list.push(measured);
            results.set(key(operation, connections, target), list);
          }
        }
      }
    }

    console.log(`\n## The app vs the hand-written peer (${ROUNDS} rounds x ${SECONDS} s per side, order rotated, medians of rounds)\n`);
    console.log('| operation | conns | server | req/s | p50 ms | p99 ms | server CPU µs/req | emulator CPU µs/req | errors |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    let errors = 0;
    for (const operation of SELECTED) {
      for (const connections of CONNECTIONS) {
        for (const target of TARGETS) {
          const rounds = results.get(key(operation, connections, target)) ?? [];
          errors += rounds.reduce((sum, m) => sum + m.errors, 0);
          const med = (pick: (m: Measurement) => number) => median(rounds.map(pick));
          console.log(`| ${OPERATIONS[operation]} | ${connections} | ${target} | ${fmt(med((m) => m.perSecond), 0)} | ${fmt(med((m) => m.p50), 2)} | ${fmt(med((m) => m.p99), 2)} | ${fmt(med((m) => m.serverCpuUs), 0)} | ${fmt(med((m) => m.emulatorCpuUs), 0)} | ${rounds.reduce((sum, m) => sum + m.errors, 0)} |`);
        }
      }
    }
    console.log('\nPaired ratios (app / peer measured in the same round; median of rounds, then min-max):\n');
    console.log('| operation | conns | vs | p50 (goal ≤ 1.3x at 1 conn) | throughput (goal ≥ 0.8x at 16 conns) | server CPU per request |');
    console.log('|---|---|---|---|---|---|');
    for (const operation of SELECTED) {
      for (const connections of CONNECTIONS) {
        const app = results.get(key(operation, connections, 'app')) ?? [];
        for (const against of TARGETS.filter((target) => target !== 'app')) {
          const other = results.get(key(operation, connections, against)) ?? [];
          const ratio = (pick: (m: Measurement) => number) => {
            const paired = app.map((m, index) => pick(m) / pick(other[index] as Measurement));
            return `${fmt(median(paired), 2)}x (${fmt(Math.min(...paired), 2)}-${fmt(Math.max(...paired), 2)})`;
          };
          console.log(`| ${OPERATIONS[operation]} | ${connections} | ${against} | ${ratio((m) => m.p50)} | ${ratio((m) => m.perSecond)} | ${ratio((m) => m.serverCpuUs)} |`);
        }
      }
    }
    const goals: string[] = [];
    const goalsMeasured = TARGETS.includes('peer+audit') && CONNECTIONS.includes(1) && CONNECTIONS.includes(16);
    for (const operation of goalsMeasured ? SELECTED : []) {
      const paired = (connections: number, pick: (m: Measurement) => number) => {
        const app = results.get(key(operation, connections, 'app')) ?? [];
        const other = results.get(key(operation, connections, 'peer+audit')) ?? [];
        return median(app.map((m, index) => pick(m) / pick(other[index] as Measurement)));
      };
      const latency = paired(1, (m) => m.p50);
      const throughput = paired(16, (m) => m.perSecond);
      goals.push(`${OPERATIONS[operation]}: p50 at 1 connection ${fmt(latency, 2)}x (goal ≤ 1.3x: ${latency <= 1.3 ? 'met' : 'NOT met'}), throughput at 16 ${fmt(throughput, 2)}x (goal ≥ 0.8x: ${throughput >= 0.8 ? 'met' : 'NOT met'})`);
    }
    if (goals.length > 0) console.log(`\nGoals against peer+audit: ${goals.join('; ')}.`);
    console.log(`\nCosmos operations per request (app): by id: ${appOperations.byId}; list: ${appOperations.list}. The peer: by id 1 point read (+ 1 write with audit, concurrent); list 1 partition query (+ 1 write after it, which needs the ids). ${errors} errors.`);
    if (errors > 0) process.exitCode = 1;
  } finally {
    for (const server of servers.reverse()) await server.stop();
    for (const service of services) await service.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

/** The same data the app and the peers read: one municipality, one school, one data admin, 300 students. */
async function seed(cosmosEndpoint: string, blobEndpoint: string, keys: Awaited<ReturnType<typeof generateDevKeys>>, env: Record<string, string>) {
  const app = await startLocalApp({ cosmosEndpoint, blobEndpoint, devKeys: keys, port: 0, env });
  try {
    const { services } = app;
    await services.municipalities.register({ id: MUNICIPALITY, name: 'Oslo' });
    await services.settings.initialise(MUNICIPALITY);
    const school = (await services.schools.create(MUNICIPALITY, { name: 'Benk skole' })).value;
    const subject = `bench-${randomUUID()}`;
    await services.users.create(MUNICIPALITY, { name: 'Benk Admin', email: 'benk@example.test', roles: ['data-admin'], schoolIds: [], identity: { issuer: DEV_ISSUER, subject } });
    const studentIds: string[] = [];
    for (let i = 0; i < STUDENTS; i += 1) {
      studentIds.push((await services.students.create(MUNICIPALITY, { givenName: 'Elev', familyName: `Nr${i}`, birthDate: '2012-01-01', schoolId: school.id, yearLevel: 7, status: 'active' })).value.id);
    }
    return { studentIds, subject };
  } finally {
    await app.close();
  }
}

async function startServer(script: string, env: Record<string, string>, nodeFlags: readonly string[] = []): Promise<Server> {
  // BENCH_PEER_PROFILE=<dir>: each server writes a CPU profile there when it stops.
  const profile = process.env.BENCH_PEER_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PEER_PROFILE}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, ...nodeFlags, '--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.startsWith('READY ')) resolve(line.slice('READY '.length));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${String(code)}) before it was ready:\n${stderr.join('').slice(-2000)}`)));
  });
  return {
    url,
    pid: child.pid as number,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => { clearTimeout(timer); resolve(); });
      child.kill('SIGTERM');
    }),
  };
}

async function measure(server: Server, emulatorPid: number, path: (i: number) => string, headers: Record<string, string>, connections: number): Promise<Measurement> {
  const latencies: number[] = [];
  const failures = new Map<string, number>();
  let next = 0;
  const base = new URL(server.url);
  const before = { server: cpuTicks(server.pid), emulator: cpuTicks(emulatorPid) };
  const instance = autocannon({
    url: base.origin,
    connections,
    ...(REQUESTS ? { amount: REQUESTS } : { duration: SECONDS }),
    headers,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: `${base.pathname}${path(next++)}` }) }],
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode === 200) latencies.push(responseTime);
    else failures.set(String(statusCode), (failures.get(String(statusCode)) ?? 0) + 1);
  });
  instance.on('reqError', (error: Error) => failures.set(error.message, (failures.get(error.message) ?? 0) + 1));
  const result = await instance;
  const after = { server: cpuTicks(server.pid), emulator: cpuTicks(emulatorPid) };
  const requests = result.requests.total;
  if (failures.size > 0) console.log(`(${server.url}: failures ${JSON.stringify(Object.fromEntries(failures))})`);
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const perRequestUs = (ticks: number) => (ticks / TICKS_PER_SECOND / Math.max(1, requests)) * 1e6;
  return {
    requests,
    errors: result.errors + result.timeouts + result.non2xx,
    perSecond: requests / (result.duration || SECONDS),
    p50: at(0.5),
    p99: at(0.99),
    serverCpuUs: perRequestUs(after.server - before.server),
    emulatorCpuUs: perRequestUs(after.emulator - before.emulator),
  };
}

/** utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** The pid of this process's child whose command line ends with `tail` (the emulator: its CPU is measured too). */
function childPidRunning(tail: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (commandLine.endsWith(tail)) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  throw new Error(`no process running ${tail}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
