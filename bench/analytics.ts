/**
 * What a 31-day usage report (P7) costs as the events grow (docs/benchmarks.md):
 *
 *   npm run bench -- analytics                         N = 50,000 and 10N = 500,000 events (~2 minutes)
 *   npx tsx bench/analytics.ts --events 100000         N = 100,000 and 10N = 1,000,000 (the issue's size, 5-15 minutes)
 *
 * On one bench emulator (bench/bench-stack.ts), two databases: one with N events and
 * one with 10N, both ingested through the real recorder (events and their daily cells), by
 * 500 staff at 20 schools over the 31 days of March in 13 features. The 10N database gets the
 * N database's batches ten times over: the same people on the same days and features, ten
 * times the use, so the comparison isolates the number of events (a report's cost follows
 * days x features x people per cell, the last bounded by the staff). Then reports over the
 * whole month, alternating between the two databases, with the documents each reads (Cosmos
 * requests by kind, from the app's own counter) and their times side by side.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { StaffPrincipal } from '../lib/access/scopes.js';
import { UsageAnalytics, type AnalyticsQuery } from '../lib/analytics/usage-analytics.js';
import { ensureDatabase, type CosmosHandle } from '../lib/data/cosmos.js';
import { CountingOperations, type OperationCounts } from '../lib/data/operation-counter.js';
import { AccountMonths } from '../lib/usage/account-months.js';
import { UsageCells } from '../lib/usage/usage-cells.js';
import { UsageRecorder, type UsageEventInput } from '../lib/usage/usage-recorder.js';
import { benchConfig, benchCosmos, fmt, startBenchEmulator } from './bench-stack.js';

const MUNICIPALITY = '0301';
const STAFF = 500;
const SCHOOLS = 20;
const FEATURES = 13;
const DAYS = 31;
/** Features in one batch: a client sends a while of use, not a month's. */
const FEATURES_PER_BATCH = 3;
const BATCH = 100;
const INGEST_CONCURRENCY = 8;
const ROUNDS = 15;
const NOW = new Date('2031-03-31T23:00:00.000Z');
const QUERY: AnalyticsQuery = { from: '2031-03-01', to: '2031-03-31', groupBy: 'feature' };
const GROUPINGS: AnalyticsQuery['groupBy'][] = ['feature', 'day', 'school'];

interface Store {
  events: number;
  cosmos: CosmosHandle;
  counter: CountingOperations;
  analytics: UsageAnalytics;
}

function openStore(endpoint: string, database: string, events: number): Store {
  const config = benchConfig(endpoint, database);
  const counter = new CountingOperations();
  const cosmos = benchCosmos(config, counter);
  return { events, cosmos, counter, analytics: new UsageAnalytics(new UsageCells(cosmos.containers.usage, config.privacyDigestKey)) };
}

function principalOf(index: number): StaffPrincipal {
  const userId = `bench-staff-${index}`;
  return {
    kind: 'staff',
    identity: { issuer: 'https://issuer.invalid', subject: userId },
    userId,
    municipalityId: MUNICIPALITY,
    roles: ['teacher'],
    schoolIds: [`school-${index % SCHOOLS}`],
    memberships: [MUNICIPALITY],
  };
}

/** Batch `index`: one person, one day, a few features; over all batches every person, day and feature. */
function batchOf(index: number): { principal: StaffPrincipal; events: UsageEventInput[] } {
  const day = String((index % DAYS) + 1).padStart(2, '0');
  const first = Math.floor(index / DAYS) % FEATURES;
  const events = Array.from({ length: BATCH }, (_, event): UsageEventInput => ({
    type: 'feature-use',
    feature: `feature-${(first + (event % FEATURES_PER_BATCH)) % FEATURES}`,
    at: `2031-03-${day}T10:00:00.000Z`,
  }));
  return { principal: principalOf(index % STAFF), events };
}

async function ingest(store: Store, distinctBatches: number, log: (line: string) => void): Promise<number> {
  const recorder = new UsageRecorder(store.cosmos.containers.usage, new AccountMonths(store.cosmos.containers.usage), new UsageCells(store.cosmos.containers.usage, 'unused'), { now: () => NOW });
  const batches = store.events / BATCH;
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < batches) {
      const index = next++;
      if (index > 0 && index % 1000 === 0) log(`  ${index * BATCH} events ...`);
      const { principal, events } = batchOf(index % distinctBatches);
      await recorder.recordEvents(principal, events, { ip: '198.51.100.23', userAgent: 'EngageApp/3.1' });
    }
  };
  await Promise.all(Array.from({ length: INGEST_CONCURRENCY }, worker));
  return (performance.now() - started) / 1000;
}

/** One grouping on one store, a value per round: rounds pair the two stores in time. */
interface Measured {
  ms: number[];
  reads: number[];
  queries: number[];
  cells: number;
}

async function report(store: Store, groupBy: AnalyticsQuery['groupBy']): Promise<{ ms: number; operations: OperationCounts; cells: number }> {
  let cells = 0;
  const started = performance.now();
  const { counts: operations } = await store.counter.measure(async () => {
    cells = (await store.analytics.usageReport(MUNICIPALITY, { ...QUERY, groupBy })).cells.length;
  });
  return { ms: performance.now() - started, operations, cells };
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const span = (values: readonly number[]): string => (Math.min(...values) === Math.max(...values) ? `${values[0]}` : `${Math.min(...values)}-${Math.max(...values)}`);

export async function run(args: readonly string[] = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({ args: [...args], options: { events: { type: 'string' } }, strict: false });
  const n = Number(values.events ?? 50_000);
  const emulator = await startBenchEmulator();
  const stores = [n, 10 * n].map((events) => openStore(emulator.endpoint, `bench-${randomUUID().slice(0, 8)}`, events));
  try {
    for (const store of stores) {
      await ensureDatabase(store.cosmos);
      console.log(`ingesting ${store.events} events through the recorder ...`);
      const seconds = await ingest(store, n / BATCH, console.log);
      console.log(`  ${fmt(seconds, 1)} s (${fmt(store.events / seconds, 0)} events/s, events and cells); emulator peak RSS ${emulator.peakRssMb()} MB`);
    }
    const measured = new Map<string, Measured>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const groupBy of GROUPINGS) {
        for (const store of round % 2 === 0 ? stores : [...stores].reverse()) {
          const key = `${groupBy}:${store.events}`;
          const result = await report(store, groupBy);
          const entry = measured.get(key) ?? { ms: [], reads: [], queries: [], cells: result.cells };
          entry.ms.push(result.ms);
          entry.reads.push(result.operations['point-read']);
          entry.queries.push(result.operations['partition-query'] + result.operations['cross-partition-query']);
          measured.set(key, entry);
        }
      }
    }
    console.log(`\n31-day report, ${STAFF} staff at ${SCHOOLS} schools, ${FEATURES} features; ${ROUNDS} alternating rounds\n`);
    console.log('| groupBy | events | documents read (point reads) | queries | report cells | median ms | 10N / N time (median of the rounds\' ratios) |');
    console.log('|---|---|---|---|---|---|---|');
    for (const groupBy of GROUPINGS) {
      const [small, large] = stores.map((store) => measured.get(`${groupBy}:${store.events}`) as Measured) as [Measured, Measured];
      // Each round's two reports ran back to back, so their ratio cancels the machine's drifting load.
      const ratio = median(large.ms.map((ms, round) => ms / (small.ms[round] as number)));
      for (const [events, entry] of [[n, small], [10 * n, large]] as const) {
        console.log(`| ${groupBy} | ${events} | ${span(entry.reads)} | ${span(entry.queries)} | ${entry.cells} | ${fmt(median(entry.ms), 1)} | ${entry === large ? `${fmt(ratio, 2)}x` : ''} |`);
      }
    }
  } finally {
    for (const store of stores) await store.cosmos.database.delete().catch(() => undefined);
    await emulator.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
