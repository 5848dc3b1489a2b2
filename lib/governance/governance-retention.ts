import type { Container, SqlQuerySpec } from '@azure/cosmos';
import type { Clock } from '../clock.js';
import { deleteIfPresent } from '../data/documents.js';
import { finishJobRun, type JobRunOutcome } from '../jobs/finish-job-run.js';
import type { JobRunStore } from '../jobs/job-runs.js';
import type { JobSignals } from '../jobs/job-signals.js';
import { overdueCutoff, retentionCutoff } from './retention-policy.js';

export const GOVERNANCE_RETENTION_JOB = 'governance-retention';

// Activity inputs and outputs: ids, instants and counts only.
export interface RetentionRunInput {
  runId: string;
  asOf: string;
  dryRun: boolean;
}
export interface RetentionBatchResult {
  more: boolean;
  processed: number;
}
export interface RetentionFinishInput extends RetentionRunInput {
  failures: number;
}

export interface GovernanceRetentionDependencies {
  support: Container;
  platform: Container;
  runs: JobRunStore;
  clock: Clock;
  signals: JobSignals;
  supportThreadMonths: number;
  complaintMonths: number;
}

interface Due {
  id: string;
  pk: string;
  requesterKey?: string;
}

/**
 * One kind of item the job deletes: which documents are due at a cutoff, and how one goes.
 * The `createdAt` condition is implied by the other (a thread's last message, a complaint's
 * closing, come after its creation) and is there because `createdAt` is indexed: the query
 * reads only the old items, not the container.
 */
interface Scope {
  name: string;
  months: number;
  container: Container;
  where: string;
  remove(item: Due): Promise<void>;
}

/**
 * The work of the `governance-retention` job (docs/governance.md, "Retention"): support
 * threads 12 months after their last message, complaints 3 years after they closed
 * (SUPPORT_RETENTION_MONTHS, COMPLAINT_RETENTION_MONTHS). Threads and complaints live in month
 * partitions, so the due ones are found with a query across them: background work, bounded
 * batches, the due items themselves the work list (a crash leaves them due).
 */
export class GovernanceRetention {
  private readonly scopes: Scope[];

  constructor(
    private readonly deps: GovernanceRetentionDependencies,
    private readonly pageSize = 100,
  ) {
    const { support, platform } = deps;
    this.scopes = [
      {
        name: 'support-threads',
        months: deps.supportThreadMonths,
        container: support,
        where: "c.type = 'support-request' AND c.createdAt < @cutoff AND c.updatedAt < @cutoff",
        // The requester's reference first: the thread is what finds it again after a crash.
        remove: async (thread) => {
          if (thread.requesterKey) await deleteIfPresent(support, thread.id, `requester:${thread.requesterKey}`);
          await deleteIfPresent(support, thread.id, thread.pk);
        },
      },
      {
        name: 'complaints',
        months: deps.complaintMonths,
        container: platform,
        where: "c.type = 'complaint' AND c.status IN ('resolved', 'referred-to-authority') AND c.createdAt < @cutoff AND c.updatedAt < @cutoff",
        remove: async (complaint) => {
          await deleteIfPresent(platform, complaint.id, complaint.pk);
        },
      },
    ];
  }

  async plan(input: RetentionRunInput): Promise<number> {
    await this.deps.runs.markRunning(input.runId, this.now());
    let total = 0;
    for (const scope of this.scopes) {
      const due = await this.count(scope, retentionCutoff(new Date(input.asOf), scope.months));
      await this.deps.runs.setDue(input.runId, scope.name, due, this.now());
      total += due;
    }
    return total;
  }

  /** Deletes one page of due items, the first scope that has any. */
  async batch(input: RetentionRunInput): Promise<RetentionBatchResult> {
    for (const scope of this.scopes) {
      const spec = this.query(scope, 'c.id, c.pk, c.requesterKey', retentionCutoff(new Date(input.asOf), scope.months));
      // A cross-partition page may come back empty while due items remain: read on until one
      // has items or the query is done, so an empty page never ends the run with items due.
      const pages = scope.container.items.query<Due>(spec, { maxItemCount: this.pageSize });
      let resources: Due[] = [];
      while (resources.length === 0 && pages.hasMoreResults()) resources = (await pages.fetchNext()).resources ?? [];
      if (resources.length === 0) continue;
      for (const item of resources) await scope.remove(item);
      await this.deps.runs.addProgress(input.runId, scope.name, { processed: resources.length, records: resources.length }, this.now());
      return { more: true, processed: resources.length };
    }
    return { more: false, processed: 0 };
  }

  async finish(input: RetentionFinishInput): Promise<JobRunOutcome> {
    let overdue = 0;
    if (!input.dryRun) for (const scope of this.scopes) overdue += await this.count(scope, retentionCutoff(new Date(input.asOf), scope.months));
    return finishJobRun(this.deps, { jobName: GOVERNANCE_RETENTION_JOB, runId: input.runId, dryRun: input.dryRun, failures: input.failures, overdue, at: this.now() });
  }

  /** Threads and complaints still stored a daily run and its slack after they were due (the hourly watch). */
  async countOverdue(now: Date): Promise<number> {
    let overdue = 0;
    for (const scope of this.scopes) overdue += await this.count(scope, overdueCutoff(now, scope.months));
    return overdue;
  }

  private async count(scope: Scope, cutoff: string): Promise<number> {
    const { resources } = await scope.container.items.query<number>(this.query(scope, 'VALUE COUNT(1)', cutoff)).fetchAll();
    return resources.reduce((sum, count) => sum + count, 0);
  }

  private query(scope: Scope, select: string, cutoff: string): SqlQuerySpec {
    return { query: `SELECT ${select} FROM c WHERE ${scope.where}`, parameters: [{ name: '@cutoff', value: cutoff }] };
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}
