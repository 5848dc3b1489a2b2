import { Agent } from 'node:https';
import { CosmosClient, type Container, type PluginConfig } from '@azure/cosmos';
import type { ActivityHandler } from 'durable-functions';
import type { Clock } from '../../lib/clock.js';
import type { AppConfig } from '../../lib/config/config.js';
import { JobRunStore, type JobRunView } from '../../lib/jobs/job-runs.js';
import { JobService } from '../../lib/jobs/job-service.js';
import { telemetryJobSignals } from '../../lib/jobs/job-signals.js';
import { featureJobs } from '../../lib/app/feature.js';
import { localJobScheduler } from '../../lib/jobs/local-jobs.js';
import type { LocalDurableDriver } from '../../lib/jobs/local-durable/index.js';
import { createLogger, type Logger } from '../../lib/logger.js';
import { loggerTelemetry } from '../../lib/telemetry/telemetry.js';
import { AccountMonths } from '../../lib/usage/account-months.js';
import { UsageAnonymiser, type UsageAnonymiserOptions } from '../../lib/usage/usage-anonymiser.js';
import { UsageCells } from '../../lib/usage/usage-cells.js';
import { UsageLedger } from '../../lib/usage/usage-ledger.js';
import type { Services } from '../../lib/services.js';
import type { StaffPrincipal } from '../../lib/access/scopes.js';
import { usageFeature } from '../../lib/usage/usage-feature.js';
import { jobsFeature } from '../../lib/jobs/jobs-feature.js';
import { asDurableClientFunction } from '../../local/invocation.js';
import type { TestApp } from '../support/test-app.js';

export { ManualClock } from '../support/manual-clock.js';

export const DAY_MS = 86_400_000;

/** A teacher as the dispatcher would hand it to a service after authentication, for calling services directly. */
export function staffPrincipal(municipalityId: string, userId: string, subject = userId): StaffPrincipal {
  return { kind: 'staff', identity: { issuer: 'https://issuer.invalid', subject }, userId, municipalityId, roles: ['teacher'], schoolIds: [], memberships: [municipalityId] };
}

export function addDaysIso(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * DAY_MS).toISOString();
}

/** Every document of a container: a cross-partition read that only a test may make. */
export async function allDocuments<T = Record<string, unknown>>(container: Container): Promise<T[]> {
  const { resources } = await container.items.readAll<T & { id: string }>().fetchAll();
  return resources;
}

/** Log lines as parsed objects, for asserting signals and for PII canaries. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { logger: createLogger((_level, line) => lines.push(JSON.parse(line) as Record<string, unknown>)), lines };
}

export async function waitForRun(test: TestApp, job: string, id: string, timeoutMs = 60_000): Promise<JobRunView> {
  const token = await test.operatorToken();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await test.request<JobRunView>('GET', `/operations/jobs/${job}/runs/${id}`, { token });
    if (response.status !== 200) throw new Error(`GET run answered ${response.status}: ${response.text}`);
    if (response.body.status === 'completed' || response.body.status === 'failed') return response.body;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${response.body.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The app's containers through a Cosmos client of the test's own, so a test can put a
 * fault-injecting plugin in front of the job's requests (and only the job's).
 */
export function containersWith(config: AppConfig, plugins: PluginConfig[] = []): { usage: Container; ledger: Container; jobs: Container } {
  const client = new CosmosClient({
    endpoint: config.cosmos.endpoint,
    key: config.cosmos.key ?? '',
    agent: new Agent({ rejectUnauthorized: false, keepAlive: true }),
    connectionPolicy: { enableEndpointDiscovery: false },
    // The SDK cannot take an empty plugin list.
    ...(plugins.length > 0 ? { plugins } : {}),
  } as unknown as ConstructorParameters<typeof CosmosClient>[0]);
  const database = client.database(config.cosmos.database);
  return { usage: database.container('usage'), ledger: database.container('ledger'), jobs: database.container('jobs') };
}

export interface JobHarness {
  jobs: Pick<JobService, 'startRun' | 'getRun'>;
  driver: LocalDurableDriver;
  anonymiser: UsageAnonymiser;
}

/**
 * The usage-anonymisation job as the app wires it (real orchestrator, activities, ledger,
 * Cosmos), on containers the test chose and a driver of its own: a "process" a test can
 * crash and replace.
 */
export function jobHarness(options: {
  config: AppConfig;
  containers: { usage: Container; ledger: Container; jobs: Container };
  clock: Clock;
  logger?: Logger;
  anonymiser?: Partial<UsageAnonymiserOptions>;
  wrapActivity?: (name: string, handler: ActivityHandler) => ActivityHandler;
}): JobHarness {
  const logger = options.logger ?? createLogger(() => undefined);
  const runs = new JobRunStore(options.containers.jobs);
  const anonymiser = new UsageAnonymiser(
    {
      usage: options.containers.usage,
      ledger: new UsageLedger(options.containers.ledger, options.clock),
      months: new AccountMonths(options.containers.usage),
      cells: new UsageCells(options.containers.usage, options.config.privacyDigestKey),
      runs,
      clock: options.clock,
      signals: telemetryJobSignals(loggerTelemetry(logger)),
    },
    {
      delayDays: options.config.usage.anonymisationDelayDays,
      platformLogRetentionDays: options.config.usage.platformLogRetentionDays,
      ...options.anonymiser,
    },
  );
  const features = [usageFeature, jobsFeature];
  const scheduler = localJobScheduler(
    { features, services: async () => ({ usageAnonymiser: anonymiser, jobs }) as Services, clock: options.clock, logger },
    options.wrapActivity ? { wrapActivity: options.wrapActivity } : {},
  );
  const jobs: JobService = new JobService({ runs, scheduler, clock: options.clock, mode: 'local', definitions: featureJobs(features), signals: telemetryJobSignals(loggerTelemetry(logger)), logger });
  return {
    // As the job-run routes call it: inside a function that declares the durable client.
    jobs: {
      startRun: (...args) => asDurableClientFunction(() => jobs.startRun(...args)),
      getRun: (...args) => asDurableClientFunction(() => jobs.getRun(...args)),
    },
    driver: scheduler.driver,
    anonymiser,
  };
}
