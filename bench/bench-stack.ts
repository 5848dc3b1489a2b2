import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type AppConfig } from '../lib/config/config.js';
import { createCosmosHandle, type CosmosHandle } from '../lib/data/cosmos.js';
import type { OperationCounter } from '../lib/data/operation-counter.js';
import { RequestDeadlines } from '../lib/data/request-deadline.js';
import { generateDevKeys, mintDevToken } from '../local/dev-issuer.js';
import { startLocalApp, type LocalApp } from '../local/local-app.js';
import { COSMOS_EMULATOR_KEY, cosmosEmulatorEndpoint, freePort, startAzurite, type ChildService } from '../local/stack.js';

const EMULATOR_SCRIPT = fileURLToPath(new URL('../local/cosmos-emulator-server.mjs', import.meta.url));
/**
 * The emulator keeps every document in its heap: 1.1 million usage events and their cells
 * peaked at ~1.1 GB resident (docs/benchmarks.md), under Node's default old space of ~4 GB on
 * this machine; 8 GB leaves room for larger runs without the emulator dying mid-bench.
 */
const EMULATOR_HEAP_MB = 8192;

export interface BenchEmulator {
  endpoint: string;
  /** The emulator's resident-set high-water mark so far (VmHWM), in MB. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

/**
 * A Cosmos DB emulator of the benches' own, with heap room for millions of documents. Its
 * errors reach the bench's stderr, and any exit but stop()'s clean one is reported with its
 * exit code or signal and its peak memory, so that a dead emulator is explained, not just a client's
 * "socket hang up".
 */
export async function startBenchEmulator(port?: number): Promise<BenchEmulator> {
  const listenOn = port ?? (await freePort());
  const child = spawn(process.execPath, [`--max-old-space-size=${EMULATOR_HEAP_MB}`, EMULATOR_SCRIPT, String(listenOn)], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(`[cosmos emulator] ${chunk.toString()}`));
  let peakMb = 0;
  const peakRssMb = () => {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
    peakMb = Math.max(peakMb, Math.round(Number(hwm) / 1024));
    return peakMb;
  };
  // /proc/<pid> is gone once the process has exited: sample while it lives.
  const sampler = setInterval(() => { try { peakRssMb(); } catch { /* exited */ } }, 5000).unref();
  let stopping = false;
  child.once('exit', (code, signal) => {
    clearInterval(sampler);
    // On stop() it closes and exits 0; anything else (a crash, an OOM kill) is the news, even if noticed while stopping.
    if (!stopping || code !== 0) console.error(`[cosmos emulator] exited (code ${code}, signal ${signal}), peak RSS ~${peakMb} MB`);
  });
  for (let attempt = 0; !(await portOpen(listenOn)); attempt++) {
    if (attempt > 300 || child.exitCode !== null) throw new Error('the bench emulator did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    endpoint: cosmosEmulatorEndpoint(listenOn),
    peakRssMb: () => { try { return peakRssMb(); } catch { return peakMb; } },
    stop: () => {
      stopping = true;
      clearInterval(sampler);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => (clearTimeout(kill), resolve()));
        child.kill('SIGTERM');
      });
    },
  };
}

/** Local configuration for a bench that works on one database of an emulator in process (no blobs). */
export function benchConfig(endpoint: string, database: string): AppConfig {
  return loadConfig({
    ENGAGE_MODE: 'local',
    COSMOS_ENDPOINT: endpoint,
    COSMOS_KEY: COSMOS_EMULATOR_KEY,
    COSMOS_DATABASE: database,
    BLOB_ENDPOINT: 'http://127.0.0.1:1/devstoreaccount1',
    BLOB_ACCOUNT_NAME: 'devstoreaccount1',
    BLOB_ACCOUNT_KEY: 'unused',
  });
}

/** The app's Cosmos DB handle on that configuration, its operations counted by `counter`. */
export function benchCosmos(config: AppConfig, counter: OperationCounter): CosmosHandle {
  return createCosmosHandle(config, counter, () => {
    throw new Error('no managed identity locally');
  }, new RequestDeadlines());
}

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

export interface BenchStack {
  app: LocalApp;
  token(subject: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Fresh emulators and an app on free ports, so a benchmark measures nothing left over, and
 * no timers, so it measures nothing else either (a job falling due mid-run adds its operations).
 */
export async function startBenchStack(env: Record<string, string> = {}): Promise<BenchStack> {
  const directory = await mkdtemp(join(tmpdir(), 'engage-bench-'));
  const cosmos = await startBenchEmulator();
  const azurite: ChildService = await startAzurite(await freePort(), directory, true);
  const keys = await generateDevKeys();
  const app = await startLocalApp({ cosmosEndpoint: cosmos.endpoint, blobEndpoint: azurite.endpoint, devKeys: keys, port: 0, timers: false, env: { COSMOS_DATABASE: 'bench', ...env } });
  return {
    app,
    token: (subject) => mintDevToken(keys, subject),
    stop: async () => {
      await app.close();
      await Promise.all([cosmos.stop(), azurite.stop()]);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export interface LatencySummary {
  count: number;
  perSecond: number;
  p50: number;
  p99: number;
}

export function summarise(latenciesMs: number[], elapsedMs: number): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { count: sorted.length, perSecond: (sorted.length / elapsedMs) * 1000, p50: at(0.5), p99: at(0.99) };
}

export async function timed(work: () => Promise<unknown>, count: number): Promise<LatencySummary> {
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i += 1) {
    const before = performance.now();
    await work();
    latencies.push(performance.now() - before);
  }
  return summarise(latencies, performance.now() - started);
}

export const fmt = (value: number, digits = 1) => value.toFixed(digits);
