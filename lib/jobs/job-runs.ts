import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { queryAll } from '../paging/query-page.js';

export const JOB_RUN_STATUSES = ['pending', 'running', 'completed', 'failed'] as const;
export type JobRunStatus = (typeof JOB_RUN_STATUSES)[number];

export const jobRunSchema = z.object({
  id: z.string(),
  job: z.string(),
  status: z.enum(JOB_RUN_STATUSES),
  trigger: z.enum(['schedule', 'operator']),
  dryRun: z.boolean(),
  asOf: z.string(),
  /** Units of work done (for usage-anonymisation: deleted accounts whose usage is anonymised). */
  processed: z.number().int(),
  /** Units of due work not done (yet). */
  remaining: z.number().int(),
  /** Records changed (for usage-anonymisation: usage records anonymised or removed). */
  records: z.number().int(),
  failures: z.number().int(),
  /** Ledger entries past their deadline when the run finished (P10 broken if not 0). */
  overdue: z.number().int().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

export type JobRunView = z.infer<typeof jobRunSchema>;

/** Everything in one run's partition: the run and one progress document per unit of fan-out. */
const runPartition = (runId: string): string => `run:${runId}`;
const RUN_ID = 'run';

interface JobRunDocument {
  id: typeof RUN_ID;
  pk: string;
  type: 'job-run';
  runId: string;
  job: string;
  status: JobRunStatus;
  trigger: JobRunView['trigger'];
  dryRun: boolean;
  asOf: string;
  failures: number;
  overdue: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface JobProgressDocument {
  id: string;
  pk: string;
  type: 'job-progress';
  scope: string;
  due: number;
  processed: number;
  records: number;
  updatedAt: string;
}

interface JobCursorDocument {
  id: string;
  pk: 'cursor';
  type: 'job-cursor';
  through: string;
}

export interface NewJobRun {
  runId: string;
  job: string;
  trigger: JobRunView['trigger'];
  dryRun: boolean;
  asOf: string;
  createdAt: string;
}

/**
 * Job runs in Cosmos (container `jobs`), so their status outlives the orchestration
 * runtime's memory (the local driver) and needs no durable client to read. Each run has a
 * partition of its own; fan-out units write separate progress documents so concurrent
 * activities never contend for one document. No personal data: ids of runs and
 * municipalities, counts and times.
 */
export class JobRunStore {
  constructor(private readonly jobs: Container) {}

  /** False when a run with this id exists already. */
  async create(run: NewJobRun): Promise<boolean> {
    const document: JobRunDocument = {
      id: RUN_ID,
      pk: runPartition(run.runId),
      type: 'job-run',
      runId: run.runId,
      job: run.job,
      status: 'pending',
      trigger: run.trigger,
      dryRun: run.dryRun,
      asOf: run.asOf,
      failures: 0,
      overdue: null,
      createdAt: run.createdAt,
      startedAt: null,
      finishedAt: null,
    };
    try {
      await this.jobs.items.create(document);
      return true;
    } catch (error) {
      if (isCosmosStatus(error, 409)) return false;
      throw error;
    }
  }

  async markRunning(runId: string, at: string): Promise<void> {
    await this.update(runId, (run) => (run.status === 'pending' ? { ...run, status: 'running', startedAt: at } : run));
  }

  async finish(runId: string, outcome: { status: JobRunStatus; failures: number; overdue: number | null; at: string }): Promise<void> {
    await this.update(runId, (run) => ({ ...run, ...outcome, finishedAt: outcome.at, startedAt: run.startedAt ?? outcome.at }));
  }

  async setDue(runId: string, scope: string, due: number, at: string): Promise<void> {
    await this.updateProgress(runId, scope, at, (progress) => ({ ...progress, due }));
  }

  async addProgress(runId: string, scope: string, done: { processed: number; records: number }, at: string): Promise<void> {
    if (done.processed === 0 && done.records === 0) return;
    await this.updateProgress(runId, scope, at, (progress) => ({
      ...progress,
      processed: progress.processed + done.processed,
      records: progress.records + done.records,
    }));
  }

  /** The run's units of fan-out (municipalities) with the work counted as due in each. */
  async dueByScope(runId: string): Promise<{ scope: string; due: number }[]> {
    return queryAll<{ scope: string; due: number }>(this.jobs, { select: 'c.scope, c.due', where: "c.type = 'job-progress'" }, [['pk', runPartition(runId)]]);
  }

  /** Sets a unit's processed count from what is known to be done (idempotent, unlike `addProgress`). */
  async settleProcessed(runId: string, scope: string, processed: number, at: string): Promise<void> {
    await this.updateProgress(runId, scope, at, (progress) => ({ ...progress, processed }));
  }

  async read(runId: string): Promise<JobRunView | undefined> {
    const run = await this.readRun(runId);
    if (!run) return undefined;
    const progress = await queryAll<JobProgressDocument>(this.jobs, { where: "c.type = 'job-progress'" }, [['pk', runPartition(runId)]]);
    const sum = (field: 'due' | 'processed' | 'records') => progress.reduce((total, entry) => total + entry[field], 0);
    return {
      id: run.runId,
      job: run.job,
      status: run.status,
      trigger: run.trigger,
      dryRun: run.dryRun,
      asOf: run.asOf,
      processed: sum('processed'),
      remaining: progress.reduce((total, entry) => total + Math.max(0, entry.due - entry.processed), 0),
      records: sum('records'),
      failures: run.failures,
      overdue: run.overdue,
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
    };
  }

  /** A job's own bookmark (e.g. the last day whose platform logs were removed). */
  async cursor(name: string): Promise<string | undefined> {
    try {
      const { resource } = await this.jobs.item(name, 'cursor').read<JobCursorDocument>();
      return resource?.through;
    } catch (error) {
      if (isCosmosStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async moveCursor(name: string, through: string): Promise<void> {
    const cursor: JobCursorDocument = { id: name, pk: 'cursor', type: 'job-cursor', through };
    await this.jobs.items.upsert(cursor);
  }

  private async readRun(runId: string): Promise<JobRunDocument | undefined> {
    try {
      const { resource } = await this.jobs.item(RUN_ID, runPartition(runId)).read<JobRunDocument>();
      return resource?.type === 'job-run' ? resource : undefined;
    } catch (error) {
      if (isCosmosStatus(error, 404)) return undefined;
      throw error;
    }
  }

  private async update(runId: string, change: (run: JobRunDocument) => JobRunDocument): Promise<void> {
    const run = await this.readRun(runId);
    if (!run) throw new Error(`job run ${runId} does not exist`);
    await this.jobs.item(RUN_ID, run.pk).replace(change(run));
  }

  private async updateProgress(
    runId: string,
    scope: string,
    at: string,
    change: (progress: JobProgressDocument) => JobProgressDocument,
  ): Promise<void> {
    const id = `progress:${scope}`;
    const pk = runPartition(runId);
    let current: JobProgressDocument = { id, pk, type: 'job-progress', scope, due: 0, processed: 0, records: 0, updatedAt: at };
    try {
      const { resource } = await this.jobs.item(id, pk).read<JobProgressDocument>();
      if (resource) current = resource;
    } catch (error) {
      if (!isCosmosStatus(error, 404)) throw error;
    }
    await this.jobs.items.upsert({ ...change(current), updatedAt: at });
  }
}
