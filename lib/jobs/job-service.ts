import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { problems } from '../http/problem.js';
import type { JobDefinition } from '../app/feature.js';
import type { Logger } from '../logger.js';
import type { JobRunFailedInput } from './job-orchestration.js';
import type { JobSignals } from './job-signals.js';
import type { JobRunStore, JobRunView } from './job-runs.js';
import type { JobScheduler } from './job-scheduler.js';

export const jobNameSchema = z.string().regex(/^[a-z][a-z0-9-]{1,63}$/, 'must be a job name such as "usage-anonymisation"');
export const runIdSchema = z.string().regex(/^[A-Za-z0-9-]{1,80}$/, 'must be a run id');

export const jobRunRequestSchema = z.strictObject({
  /** Run as if it were this day or moment (UTC). Future dates only in local mode. */
  asOf: z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
  dryRun: z.boolean().optional(),
});

export type JobRunRequest = z.infer<typeof jobRunRequestSchema>;

/**
 * The moment a run acts as of. A future `asOf` lets a developer see what a job will do on a
 * later day; in Azure it would anonymise data before it is due, so it is refused there.
 */
export function resolveAsOf(asOf: string | undefined, now: Date, mode: 'local' | 'azure'): Date {
  if (asOf === undefined) return now;
  const at = new Date(asOf.length === 10 ? `${asOf}T00:00:00.000Z` : asOf);
  if (at.getTime() > now.getTime() && mode !== 'local') {
    throw problems.validation([{ field: 'body/asOf', message: 'must not be in the future (allowed in local mode only)' }]);
  }
  return at;
}

export interface JobServiceDependencies {
  runs: JobRunStore;
  scheduler: JobScheduler;
  clock: Clock;
  mode: 'local' | 'azure';
  /** Every job of the app (lib/features.ts): a name not listed answers 404. */
  definitions: readonly JobDefinition[];
  signals: JobSignals;
  logger: Logger;
}

/** Starting and reading job runs, for the operator routes, the timers and the watch alike. */
export class JobService {
  readonly scheduler: JobScheduler;
  readonly definitions: readonly JobDefinition[];
  private readonly runs: JobRunStore;
  private readonly clock: Clock;

  constructor(private readonly deps: JobServiceDependencies) {
    ({ scheduler: this.scheduler, definitions: this.definitions, runs: this.runs, clock: this.clock } = deps);
  }

  /**
   * A run whose orchestration failed in some step: the signal first (it needs nothing that may
   * be down), then the run's record, if the database lets us.
   */
  async recordFailure(input: JobRunFailedInput): Promise<void> {
    const at = this.clock.now().toISOString();
    this.deps.signals.failed({ jobName: input.jobName, runId: input.runId, dryRun: input.dryRun, processed: 0, remaining: 0, records: 0, failures: 1, durationMs: 0 });
    try {
      await this.runs.finish(input.runId, { status: 'failed', failures: 1, overdue: null, at });
    } catch (error) {
      this.deps.logger.error('job-run-failure-not-recorded', { job: input.jobName, runId: input.runId, error: error instanceof Error ? error.name : 'unknown' });
    }
  }

  async startRun(jobName: string, request: JobRunRequest, trigger: 'schedule' | 'operator'): Promise<string> {
    const job = this.job(jobName);
    const now = this.clock.now();
    const asOf = resolveAsOf(request.asOf, now, this.deps.mode);
    // One scheduled run per job and day: a timer firing twice (restart, scale-out) starts it once.
    const runId = trigger === 'schedule' ? `${job.name}-${now.toISOString().slice(0, 10)}` : randomUUID();
    const input = { runId, asOf: asOf.toISOString(), dryRun: request.dryRun ?? false };
    const created = await this.runs.create({ runId, job: job.name, trigger, dryRun: input.dryRun, asOf: input.asOf, createdAt: now.toISOString() });
    if (!created && (await this.scheduler.state(runId)) !== undefined) return runId;
    try {
      await this.scheduler.start(job.orchestrator, input, runId);
    } catch (error) {
      await this.runs.finish(runId, { status: 'failed', failures: 1, overdue: null, at: this.clock.now().toISOString() });
      throw error;
    }
    return runId;
  }

  async getRun(jobName: string, runId: string): Promise<JobRunView> {
    this.job(jobName);
    const run = await this.runs.read(runId);
    if (!run || run.job !== jobName) throw problems.notFound();
    if (run.status === 'pending' || run.status === 'running') {
      // An orchestration that failed outright never reached its finish activity.
      if ((await this.scheduler.state(runId)) === 'failed') return { ...run, status: 'failed' };
    }
    return run;
  }

  private job(name: string): JobDefinition {
    const job = this.definitions.find((definition) => definition.name === name);
    if (!job) throw problems.notFound('No such job');
    return job;
  }
}
