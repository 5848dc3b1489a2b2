import type { TokenCredential } from '@azure/identity';
import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import type { CompositionOptions } from '../composition-root.js';
import type { AnyRoute } from '../http/route.js';
import type { JobScheduler } from '../jobs/job-scheduler.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import type { PrivacyProvider } from '../privacy/privacy-provider.js';
import type { ServiceName, Services } from '../services.js';
import type { Schedule } from './schedule.js';
import { jobOrchestrator } from '../jobs/job-orchestration.js';
import { telemetryJobSignals } from '../jobs/job-signals.js';

/** The platform clients that are services too: every feature and handler may use them. */
export type SharedServices = Pick<Services, 'config' | 'clock' | 'logger' | 'telemetry' | 'operations' | 'deadlines' | 'cosmos' | 'blob' | 'uploadBlob'>;

/** What every feature builds on: the clients the composition root makes once per process. */
export interface Platform extends SharedServices {
  credential: () => TokenCredential;
  /** Seals the continuation tokens of every list a store serves to callers. */
  continuations: ContinuationSealer;
  /** Starts and reads orchestrations: the durable client on the Functions host, the local driver elsewhere. */
  scheduler: JobScheduler;
  /** Every feature the host serves (the job service reads their jobs, the API docs their routes). */
  features: readonly Feature[];
  /** What the host or a test overrides: JWKS retrieval, the email sender, telemetry transport. */
  options: CompositionOptions;
}

/** What a job run counts in `processed` and `remaining`, in words a reader of a run understands. */
export interface JobUnit {
  one: string;
  many: string;
}

/**
 * How much of a job's work is past its deadline right now, counted without running the job:
 * the hourly watch reports it whether or not runs finish (or start at all).
 */
export interface OverdueCheck<U extends ServiceName = ServiceName> {
  uses: readonly U[];
  count(services: Pick<Services, U>, now: Date): Promise<number>;
}

export function defineOverdueCheck<const U extends ServiceName>(check: OverdueCheck<U>): OverdueCheck {
  return check as unknown as OverdueCheck;
}

/**
 * A daily job: its timer starts a run of `orchestrator` at `dailyAt` (UTC), and ops can
 * start one at any time (`POST /api/operations/jobs/{name}/runs`); its overdue check runs
 * hourly on a timer of its own.
 */
export interface JobDefinition {
  name: string;
  orchestrator: string;
  dailyAt: { hourUtc: number; minuteUtc: number };
  unit: JobUnit;
  overdue: OverdueCheck;
}

/** A timer trigger: its schedule and the services its run uses (which decide its bindings). */
export interface TimerDefinition<U extends ServiceName = ServiceName> {
  name: string;
  schedule: Schedule;
  uses: readonly U[];
  run(services: Pick<Services, U>): Promise<unknown>;
}

/** Keeps `run`'s services tied to `uses`. */
export function defineTimer<const U extends ServiceName>(timer: TimerDefinition<U>): TimerDefinition {
  return timer as unknown as TimerDefinition;
}

/**
 * One feature of the app, declared in one module (`lib/<feature>/<feature>-feature.ts`):
 * the services it builds, the personal data it keeps, its routes, timers, jobs and durable
 * functions. The composition root assembles the list (`lib/features.ts`); the Functions
 * entry, the local host, the local durable driver, the job CLI and OpenAPI all read it.
 */
export interface Feature {
  readonly name: string;
  /** Builds this feature's services from the platform and the services of features listed before it. */
  readonly services?: (platform: Platform, services: Services) => Partial<Services> | Promise<Partial<Services>>;
  /** The personal data this feature keeps: where, why, for how long, and how to export, erase and verify it. */
  readonly privacyProviders?: (services: Services) => readonly PrivacyProvider[];
  readonly routes?: readonly AnyRoute[];
  readonly timers?: readonly TimerDefinition[];
  readonly jobs?: readonly JobDefinition[];
  readonly orchestrators?: Readonly<Record<string, OrchestrationHandler>>;
  /** Activity handlers over services resolved per call: the Functions host builds services on first use. */
  readonly activities?: (services: () => Promise<Services>) => Readonly<Record<string, ActivityHandler>>;
}

export function defineFeature(feature: Feature): Feature {
  return feature;
}

export function featureRoutes(features: readonly Feature[]): AnyRoute[] {
  return features.flatMap((feature) => feature.routes ?? []);
}

export function featureJobs(features: readonly Feature[]): JobDefinition[] {
  return features.flatMap((feature) => feature.jobs ?? []);
}

/** Every orchestrator; a job's own is made loud here (`jobOrchestrator`), so no job can forget it. */
export function featureOrchestrators(features: readonly Feature[]): Record<string, OrchestrationHandler> {
  const all = Object.assign({}, ...features.map((feature) => feature.orchestrators ?? {})) as Record<string, OrchestrationHandler>;
  for (const job of featureJobs(features)) {
    const body = all[job.orchestrator];
    if (body) all[job.orchestrator] = jobOrchestrator(job.name, body);
  }
  return all;
}

export function featureActivities(features: readonly Feature[], services: () => Promise<Services>): Record<string, ActivityHandler> {
  return Object.assign({}, ...features.map((feature) => feature.activities?.(services) ?? {})) as Record<string, ActivityHandler>;
}

/**
 * Every timer: the features' own, plus two per job: `<job>-timer` starts its daily run, and
 * `<job>-watch` counts, every hour, the work past its deadline (`RetentionJobOverdue`).
 */
export function featureTimers(features: readonly Feature[]): TimerDefinition[] {
  const jobTimers = featureJobs(features).flatMap((job) => [
    defineTimer({
      name: `${job.name}-timer`,
      schedule: { dailyAt: job.dailyAt },
      uses: ['jobs', 'logger'],
      run: async ({ jobs, logger }) => {
        const runId = await jobs.startRun(job.name, {}, 'schedule');
        logger.info('job-run-scheduled', { job: job.name, runId });
      },
    }),
    {
      name: `${job.name}-watch`,
      schedule: { everyMinutes: 60 },
      uses: [...new Set<ServiceName>([...job.overdue.uses, 'clock', 'telemetry'])],
      run: async (services: Services) => {
        const overdue = await job.overdue.count(services, services.clock.now());
        services.telemetry.trackMetric('RetentionOverdue', overdue, { jobName: job.name });
        if (overdue > 0) telemetryJobSignals(services.telemetry).overdue({ jobName: job.name, runId: 'watch', overdue });
        await services.telemetry.flush();
      },
    } satisfies TimerDefinition,
  ]);
  return [...features.flatMap((feature) => feature.timers ?? []), ...jobTimers];
}
