/**
 * Benchmark of the usage-anonymisation job (P10) on the local Cosmos emulator:
 *
 *   npx tsx bench/usage-anonymisation.ts            10k and 100k due events; 10k also beside 10x live events
 *   npx tsx bench/usage-anonymisation.ts --full     also 100k due events beside 1M live events (minutes)
 *   npx tsx bench/usage-anonymisation.ts --due 20000 --live 200000     one scenario
 *
 * Per scenario: a fresh database, due accounts (200 events each over two months, in four
 * municipalities, counted in the daily usage cells as the recorder counts them) with their ledger entries, optionally 10x as many events of live accounts,
 * then one run of the real orchestrator on the local durable driver. Reports events/s, Cosmos
 * operations by kind (which must not change with the live data) and the process's peak RSS
 * and heap while the job runs (which must not grow with the due data: the job streams pages).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:https';
import { CosmosClient, type Container, type PluginConfig } from '@azure/cosmos';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureDatabase, type CosmosHandle } from '../lib/data/cosmos.js';
import { classifyCosmosRequest, CountingOperations, OPERATION_KINDS, type OperationCounter, type OperationCounts } from '../lib/data/operation-counter.js';
import { JobRunStore } from '../lib/jobs/job-runs.js';
import { JobService } from '../lib/jobs/job-service.js';
import { telemetryJobSignals } from '../lib/jobs/job-signals.js';
import { featureJobs } from '../lib/app/feature.js';
import { localJobScheduler } from '../lib/jobs/local-jobs.js';
import { createLogger } from '../lib/logger.js';
import { loggerTelemetry } from '../lib/telemetry/telemetry.js';
import { AccountMonths } from '../lib/usage/account-months.js';
import { bulkWrite, created, createOperation, JOB_RETRY_BUDGET_MS } from '../lib/usage/bulk.js';
import { USAGE_ANONYMISATION_JOB, UsageAnonymiser } from '../lib/usage/usage-anonymiser.js';
import { cellId, cellIndexId, featureKey, NO_SCHOOL, UsageCells } from '../lib/usage/usage-cells.js';
import { UsageLedger } from '../lib/usage/usage-ledger.js';
import { accountBucket, accountMonthsBucket, cellsBucket, type UsageCellDocument, type UsageCellIndexDocument, type UsageEventDocument, type UsageMonthDocument } from '../lib/usage/usage-model.js';
import type { Services } from '../lib/services.js';
import { usageFeature } from '../lib/usage/usage-feature.js';
import { asDurableClientFunction } from '../local/invocation.js';
import { COSMOS_EMULATOR_KEY } from '../local/stack.js';
import { benchConfig, benchCosmos, startBenchEmulator } from './bench-stack.js';

const EVENTS_PER_ACCOUNT = 200;
const MONTHS = ['2031-02', '2031-03'] as const;
const MUNICIPALITIES = ['0301', '4601', '5001', '1103'] as const;
const DELETED_AT = new Date('2031-04-02T09:00:00.000Z');
const AS_OF = '2031-05-02';
const SEED_CONCURRENCY = 4;

export interface BenchScenario {
  dueEvents: number;
  liveEvents: number;
}

export interface BenchResult extends BenchScenario {
  accounts: number;
  seconds: number;
  eventsPerSecond: number;
  /** Cosmos requests by kind, first attempts only. */
  operations: OperationCounts;
  /** Requests the SDK sent again (throttling, time-outs, dropped connections). */
  retriedRequests: number;
  /** Activity attempts that failed and were retried by the orchestrator. */
  retriedActivities: number;
  peakRssMb: number;
  peakHeapMb: number;
}

export function defaultScenarios(full: boolean): BenchScenario[] {
  return [
    { dueEvents: 10_000, liveEvents: 0 },
    { dueEvents: 10_000, liveEvents: 100_000 },
    { dueEvents: 100_000, liveEvents: 0 },
    ...(full ? [{ dueEvents: 100_000, liveEvents: 1_000_000 }] : []),
  ];
}

export async function runUsageAnonymisationBench(scenarios: readonly BenchScenario[], log: (line: string) => void = console.log): Promise<BenchResult[]> {
  const emulator = await startBenchEmulator();
  const results: BenchResult[] = [];
  try {
    for (const scenario of scenarios) {
      results.push(await runScenario(emulator.endpoint, scenario, log));
      log(formatResult(results.at(-1) as BenchResult));
    }
  } finally {
    await emulator.stop();
  }
  return results;
}

function cosmosFor(endpoint: string, database: string): CosmosHandle {
  return benchCosmos(benchConfig(endpoint, database), new CountingOperations());
}

/**
 * Seeds in this process, then runs the job in a fresh process so that its memory figures are
 * the job's alone (seeding 100k documents would otherwise set the high-water mark).
 */
async function runScenario(endpoint: string, scenario: BenchScenario, log: (line: string) => void): Promise<BenchResult> {
  const database = `bench-${randomUUID().slice(0, 8)}`;
  const cosmos = cosmosFor(endpoint, database);
  await ensureDatabase(cosmos);
  try {
    log(`seeding ${scenario.dueEvents} due and ${scenario.liveEvents} live events ...`);
    const dueAccounts = await seed(cosmos, scenario.dueEvents);
    const liveAccounts = await seed(cosmos, scenario.liveEvents);
    await seedCells(cosmos, new UsageCells(cosmos.containers.usage, benchConfig(endpoint, database).privacyDigestKey), [...dueAccounts, ...liveAccounts]);
    const ledger = new UsageLedger(cosmos.containers.ledger, { now: () => DELETED_AT });
    for (const [municipalityId, accountId] of dueAccounts) await ledger.recordAccountDeleted(municipalityId, accountId, DELETED_AT);
    const job: JobOnlyInput = { endpoint, database, records: scenario.dueEvents, accounts: dueAccounts.length };
    return { ...scenario, ...(await runJobInChild(job)), accounts: dueAccounts.length };
  } finally {
    await cosmos.database.delete();
  }
}

interface JobOnlyInput {
  endpoint: string;
  database: string;
  records: number;
  accounts: number;
}

type JobOnlyResult = Omit<BenchResult, keyof BenchScenario | 'accounts'>;

function runJobInChild(input: JobOnlyInput): Promise<JobOnlyResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--job', JSON.stringify(input)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(output) as JobOnlyResult) : reject(new Error(`job process exited with ${code}`))));
  });
}

/**
 * The job's containers through a client that counts Cosmos requests with the app's own
 * classifier, as `services.operations` does, but tells first attempts (what the job asks
 * for) from the SDK's resends of them (a handful, only against an emulator busy for half a
 * second per query over a million documents).
 */
function countingContainers(endpoint: string, database: string, operations: OperationCounter, resent: { count: number }) {
  const counting: PluginConfig = {
    on: 'request',
    plugin: async (context, _diagnostics, next) => {
      // The SDK leaves retryCount undefined on a first attempt and increments it (undefined + 1: NaN) on each resend.
      const retryCount = (context as { retryCount?: number }).retryCount;
      if (retryCount !== undefined && retryCount !== 0) resent.count += 1;
      else operations.record(classifyCosmosRequest(context as Parameters<typeof classifyCosmosRequest>[0]));
      return next(context);
    },
  };
  const client = new CosmosClient({
    endpoint,
    key: COSMOS_EMULATOR_KEY,
    agent: new Agent({ rejectUnauthorized: false, keepAlive: true }),
    connectionPolicy: { enableEndpointDiscovery: false },
    plugins: [counting],
  } as unknown as ConstructorParameters<typeof CosmosClient>[0]);
  const db = client.database(database);
  const container = (id: string): Container => db.container(id);
  return { usage: container('usage'), ledger: container('ledger'), jobs: container('jobs') };
}

/** One run of the real orchestrator on the local driver over a seeded database; prints the figures as JSON. */
async function runJobOnly(input: JobOnlyInput): Promise<JobOnlyResult> {
  const config = benchConfig(input.endpoint, input.database);
  const counter = new CountingOperations();
  const resent = { count: 0 };
  const cosmos = { containers: countingContainers(input.endpoint, input.database, counter, resent) };
  const clock = { now: () => DELETED_AT };
  const runs = new JobRunStore(cosmos.containers.jobs);
  const warnings: string[] = [];
  const logger = createLogger((level, line) => {
    if (level !== 'info') warnings.push(line);
  });
  const anonymiser = new UsageAnonymiser(
    {
      usage: cosmos.containers.usage,
      ledger: new UsageLedger(cosmos.containers.ledger, clock),
      months: new AccountMonths(cosmos.containers.usage),
      cells: new UsageCells(cosmos.containers.usage, config.privacyDigestKey),
      runs,
      clock,
      signals: telemetryJobSignals(loggerTelemetry(logger)),
    },
    { delayDays: config.usage.anonymisationDelayDays, platformLogRetentionDays: config.usage.platformLogRetentionDays },
  );
  const scheduler = localJobScheduler({ features: [usageFeature], services: async () => ({ usageAnonymiser: anonymiser }) as Services, clock, logger });
  const driver = scheduler.driver;
  const jobs = new JobService({ runs, scheduler, clock, mode: 'local', definitions: featureJobs([usageFeature]), signals: telemetryJobSignals(loggerTelemetry(logger)), logger });

  const memory = sampleMemory();
  const started = performance.now();
  const id = await asDurableClientFunction(() => jobs.startRun(USAGE_ANONYMISATION_JOB, { asOf: AS_OF }, 'operator'));
  const status = await driver.waitForCompletion(id, 3_600_000);
  const seconds = (performance.now() - started) / 1000;
  const peak = memory.stop();
  const operations = counter.snapshot();
  for (const line of warnings.slice(0, 3)) process.stderr.write(`${line}\n`);
  if (status.runtimeStatus !== 'Completed') throw new Error(`run ${id} ${status.runtimeStatus}: ${status.error ?? ''}`);
  const run = await asDurableClientFunction(() => jobs.getRun(USAGE_ANONYMISATION_JOB, id));
  if (run.status !== 'completed' || run.records !== input.records || run.processed !== input.accounts) {
    throw new Error(`run ${id} ${run.status}: ${run.records} records of ${run.processed} accounts, expected ${input.records} of ${input.accounts}; ${warnings.slice(0, 5).join('; ')}`);
  }
  return {
    seconds,
    eventsPerSecond: input.records / seconds,
    operations,
    retriedRequests: resent.count,
    retriedActivities: warnings.filter((line) => line.includes('failed on attempt')).length,
    peakRssMb: peak.rss / 2 ** 20,
    peakHeapMb: peak.heap / 2 ** 20,
  };
}

/** Accounts of EVENTS_PER_ACCOUNT events each, written in bulk a bounded number of pages at a time. */
async function seed(cosmos: CosmosHandle, events: number): Promise<[string, string][]> {
  const accounts = Array.from({ length: Math.ceil(events / EVENTS_PER_ACCOUNT) }, (_, index): [string, string] => [
    MUNICIPALITIES[index % MUNICIPALITIES.length] as string,
    randomUUID(),
  ]);
  let next = 0;
  const worker = async () => {
    while (next < accounts.length) {
      const [municipalityId, accountId] = accounts[next++] as [string, string];
      const markers = MONTHS.map((month): UsageMonthDocument => ({
        id: `${accountId}:${month}`,
        municipalityId,
        accountBucket: accountMonthsBucket(accountId),
        type: 'usage-month',
        month,
      }));
      await bulkWrite(cosmos.containers.usage, markers.map((marker) => createOperation(marker, [municipalityId, marker.accountBucket])), created, JOB_RETRY_BUDGET_MS);
      const documents = Array.from({ length: EVENTS_PER_ACCOUNT }, (_, index): UsageEventDocument => {
        const month = MONTHS[index % MONTHS.length] as string;
        return {
          id: randomUUID(),
          municipalityId,
          accountBucket: accountBucket(accountId, month),
          month,
          accountId,
          type: 'usage-event',
          eventType: 'feature-use',
          feature: `feature-${index % 13}`,
          at: `${month}-15T10:00:00.000Z`,
          receivedAt: `${month}-15T10:00:01.000Z`,
          deviceId: `device-${accountId.slice(0, 8)}`,
          ip: '198.51.100.23',
          userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0 Safari/537.36',
        };
      });
      await bulkWrite(cosmos.containers.usage, documents.map((document) => createOperation(document, [municipalityId, document.accountBucket])), created, JOB_RETRY_BUDGET_MS);
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
  return accounts;
}

/**
 * The daily usage cells the recorder would have written for the seeded events (every account
 * has the same events: EVENTS_PER_ACCOUNT over the 15th of each month and 13 features), as
 * documents created in bulk: the job must take each account's digest out of them.
 */
async function seedCells(cosmos: CosmosHandle, cells: UsageCells, accounts: readonly [string, string][]): Promise<void> {
  const eventsPerCell = new Map<string, number>();
  for (let index = 0; index < EVENTS_PER_ACCOUNT; index++) {
    const key = `${MONTHS[index % MONTHS.length] as string}-15|feature-${index % 13}`;
    eventsPerCell.set(key, (eventsPerCell.get(key) ?? 0) + 1);
  }
  const documents = new Map<string, UsageCellDocument | UsageCellIndexDocument>();
  for (const [municipalityId, accountId] of accounts) {
    const person = cells.personDigest(municipalityId, accountId);
    for (const [key, events] of eventsPerCell) {
      const [day, feature] = key.split('|') as [string, string];
      const indexKey = `${municipalityId}|${day}`;
      const index = (documents.get(indexKey) as UsageCellIndexDocument | undefined) ?? { id: cellIndexId(day), municipalityId, accountBucket: cellsBucket(day), type: 'usage-cell-index', day, features: {} };
      index.features[featureKey(feature)] = feature;
      documents.set(indexKey, index);
      const cellKey = `${municipalityId}|${key}`;
      const cell = (documents.get(cellKey) as UsageCellDocument | undefined) ?? { id: cellId(day, feature), municipalityId, accountBucket: cellsBucket(day), type: 'usage-cell', day, feature, events: 0, schoolEvents: { [NO_SCHOOL]: 0 }, people: {} };
      cell.events += events;
      cell.schoolEvents[NO_SCHOOL] = (cell.schoolEvents[NO_SCHOOL] ?? 0) + events;
      cell.people[person] = [NO_SCHOOL];
      documents.set(cellKey, cell);
    }
  }
  await bulkWrite(cosmos.containers.usage, [...documents.values()].map((document) => createOperation(document, [document.municipalityId, document.accountBucket])), created, JOB_RETRY_BUDGET_MS);
}

function sampleMemory(): { stop(): { rss: number; heap: number } } {
  const peak = { rss: 0, heap: 0 };
  const sample = () => {
    const usage = process.memoryUsage();
    peak.rss = Math.max(peak.rss, usage.rss);
    peak.heap = Math.max(peak.heap, usage.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 25);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

export function formatResult(result: BenchResult): string {
  const ops = OPERATION_KINDS.filter((kind) => kind !== 'metadata').map((kind) => `${kind}=${result.operations[kind]}`).join(' ');
  return [
    `due ${result.dueEvents.toLocaleString('en')} events (${result.accounts} accounts)`,
    `live ${result.liveEvents.toLocaleString('en')}`,
    `${result.seconds.toFixed(1)} s`,
    `${Math.round(result.eventsPerSecond)} events/s`,
    ops,
    `retries: SDK ${result.retriedRequests}, activities ${result.retriedActivities}`,
    `peak RSS ${result.peakRssMb.toFixed(0)} MB, heap ${result.peakHeapMb.toFixed(0)} MB`,
  ].join(' | ');
}

/** The ratios the brief asks for: operations with/without live data, memory 100k/10k. */
export function summarise(results: readonly BenchResult[]): string[] {
  const lines: string[] = [];
  const total = (result: BenchResult) => OPERATION_KINDS.filter((kind) => kind !== 'metadata').reduce((sum, kind) => sum + result.operations[kind], 0);
  for (const withLive of results.filter((result) => result.liveEvents > 0)) {
    const alone = results.find((result) => result.dueEvents === withLive.dueEvents && result.liveEvents === 0);
    if (alone) {
      const same = OPERATION_KINDS.every((kind) => kind === 'metadata' || alone.operations[kind] === withLive.operations[kind]);
      lines.push(`${withLive.dueEvents} due: Cosmos operations without/with ${withLive.liveEvents} live events: ${total(alone)} / ${total(withLive)} (${same ? 'equal' : 'DIFFERENT'})`);
    }
  }
  const small = results.find((result) => result.dueEvents === 10_000 && result.liveEvents === 0);
  const large = results.find((result) => result.dueEvents === 100_000 && result.liveEvents === 0);
  if (small && large) {
    lines.push(`peak RSS 100k/10k: ${(large.peakRssMb / small.peakRssMb).toFixed(2)}x, peak heap 100k/10k: ${(large.peakHeapMb / small.peakHeapMb).toFixed(2)}x`);
    lines.push(`operations 100k/10k: ${(total(large) / total(small)).toFixed(2)}x (work grows with due data only)`);
  }
  return lines;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { full: { type: 'boolean' }, due: { type: 'string' }, live: { type: 'string' }, job: { type: 'string' } } });
  if (values.job) {
    process.stdout.write(JSON.stringify(await runJobOnly(JSON.parse(values.job) as JobOnlyInput)));
    process.exit(0);
  }
  const scenarios = values.due ? [{ dueEvents: Number(values.due), liveEvents: Number(values.live ?? 0) }] : defaultScenarios(values.full ?? false);
  const results = await runUsageAnonymisationBench(scenarios);
  for (const line of summarise(results)) console.log(line);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
