import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDevKeys, mintDevToken } from '../local/dev-issuer.js';
import { startLocalApp, type LocalApp } from '../local/local-app.js';
import { freePort, startAzurite, startCosmosEmulator, type ChildService } from '../local/stack.js';

export interface BenchStack {
  app: LocalApp;
  token(subject: string): Promise<string>;
  stop(): Promise<void>;
}

/** Fresh emulators and an app on free ports, so a benchmark measures nothing left over. */
export async function startBenchStack(env: Record<string, string> = {}): Promise<BenchStack> {
  const directory = await mkdtemp(join(tmpdir(), 'engage-bench-'));
  const children: ChildService[] = [await startCosmosEmulator(await freePort(), true), await startAzurite(await freePort(), directory, true)];
  const [cosmos, azurite] = children as [ChildService, ChildService];
  const keys = await generateDevKeys();
  const app = await startLocalApp({ cosmosEndpoint: cosmos.endpoint, blobEndpoint: azurite.endpoint, devKeys: keys, port: 0, env: { COSMOS_DATABASE: 'bench', ...env } });
  return {
    app,
    token: (subject) => mintDevToken(keys, subject),
    stop: async () => {
      await app.close();
      await Promise.all(children.map((child) => child.stop()));
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
