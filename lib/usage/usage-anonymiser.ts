import type { Container } from '@azure/cosmos';
import type { Clock } from '../clock.js';
import type { JobRunStore } from '../jobs/job-runs.js';
import type { JobSignals } from '../jobs/job-signals.js';
import { queryBatch } from '../paging/query-page.js';
import type { AccountMonths } from './account-months.js';
import { anonymisedCopy } from './anonymise.js';
import type { UsageCells } from './usage-cells.js';
import { bulkWrite, created, createOperation, deleted, deleteOperation, JOB_RETRY_BUDGET_MS } from './bulk.js';
import { addDays, cutoffDay, dayOf, overdueCandidateDay } from './retention-policy.js';
import type { DueEntry, UsageLedger } from './usage-ledger.js';
import { accountBucket, PLATFORM_TENANT, platformBucket, type UsageRecord } from './usage-model.js';
import { finishJobRun, type JobRunOutcome } from '../jobs/finish-job-run.js';

export const USAGE_ANONYMISATION_JOB = 'usage-anonymisation';
const PLATFORM_CURSOR = 'usage-anonymisation:platform-logs';
const PLATFORM_SCOPE = 'platform-logs';
/** The first run ever starts removing platform logs this many days before its cutoff. */
const INITIAL_PLATFORM_LOOKBACK_DAYS = 92;
const PAGE_SIZE = 100;

export interface UsageAnonymiserOptions {
  /** N: whole days after the deletion day before an account's usage is anonymised. */
  delayDays: number;
  platformLogRetentionDays: number;
  /** Records one batch activity may touch: bounds its duration and its memory. */
  recordsPerBatch?: number;
  entriesPerPage?: number;
}

export interface UsageAnonymiserDependencies {
  usage: Container;
  ledger: UsageLedger;
  months: AccountMonths;
  cells: UsageCells;
  runs: JobRunStore;
  clock: Clock;
  signals: JobSignals;
}

// Activity inputs and outputs: ids, days and counts only, a few hundred bytes at most.
export interface RunInput {
  runId: string;
  asOf: string;
  dryRun: boolean;
}
export interface Plan {
  cutoffDay: string;
  municipalities: string[];
}
export interface MunicipalityInput {
  runId: string;
  municipalityId: string;
  cutoffDay: string;
}
export interface BatchResult {
  more: boolean;
  processed: number;
  records: number;
}
export interface FinishInput extends RunInput {
  cutoffDay: string;
  failures: number;
}
/** What a run of this job did: the shape every retention job returns. */
export type RunSummary = JobRunOutcome;

/**
 * The work of the `usage-anonymisation` job (P10), one method per activity. Every step
 * finds its work through the ledger, does a bounded amount of it, and leaves Cosmos in a
 * state from which the same step, repeated or resumed by any later run, finishes the job:
 *
 * - a record is anonymised by removing the account's digest from the usage cells its event
 *   counted in (lib/usage/usage-cells.ts), creating its anonymised twin, then deleting the original;
 *   a crash between the two leaves a twin that the next attempt finds (409) and an original
 *   it then deletes, never two twins and never a lost record;
 * - a month marker is removed after its month is drained, a ledger entry after all its
 *   months, an open day after all its entries.
 */
export class UsageAnonymiser {
  private readonly recordsPerBatch: number;
  private readonly entriesPerPage: number;

  constructor(
    private readonly deps: UsageAnonymiserDependencies,
    private readonly options: UsageAnonymiserOptions,
  ) {
    this.recordsPerBatch = options.recordsPerBatch ?? 1_000;
    this.entriesPerPage = options.entriesPerPage ?? 20;
  }

  async plan(input: RunInput): Promise<Plan> {
    await this.deps.runs.markRunning(input.runId, this.now());
    const cutoff = cutoffDay(new Date(input.asOf), this.options.delayDays);
    const open = await this.deps.ledger.openDaysUpTo(cutoff);
    return { cutoffDay: cutoff, municipalities: [...new Set(open.map((day) => day.municipalityId))] };
  }

  /** Due accounts of one municipality, for the run's `remaining`. */
  async count(input: MunicipalityInput): Promise<number> {
    let due = 0;
    for (const { day } of await this.deps.ledger.openDaysUpTo(input.cutoffDay, input.municipalityId)) {
      due += await this.deps.ledger.countEntries(input.municipalityId, day);
    }
    await this.deps.runs.setDue(input.runId, input.municipalityId, due, this.now());
    return due;
  }

  async batch(input: MunicipalityInput): Promise<BatchResult> {
    const { municipalityId } = input;
    const done = { processed: 0, records: 0 };
    const finish = async (more: boolean): Promise<BatchResult> => {
      await this.deps.runs.addProgress(input.runId, municipalityId, done, this.now());
      return { more, ...done };
    };
    for (const { day } of await this.deps.ledger.openDaysUpTo(input.cutoffDay, municipalityId)) {
      for (;;) {
        const entries = await this.deps.ledger.entries(municipalityId, day, this.entriesPerPage);
        if (entries.length === 0) {
          await this.deps.ledger.closeDayIfEmpty(municipalityId, day);
          break;
        }
        for (const listed of entries) {
          // Re-read: another run may have finished this account since the page was listed.
          const current = await this.deps.ledger.reread(listed);
          if (!current) continue;
          const account = await this.anonymiseAccount(current.entry, this.recordsPerBatch - done.records);
          done.records += account.records;
          if (!account.complete) return finish(true);
          await this.deps.ledger.complete(current.entry, current.etag);
          done.processed += 1;
          if (done.records >= this.recordsPerBatch) return finish(true);
        }
      }
    }
    return finish(false);
  }

  /** Removes request logs of non-account callers older than the platform retention. */
  async sweepPlatformLogs(input: RunInput): Promise<BatchResult> {
    const lastDay = addDays(dayOf(new Date(input.asOf)), -this.options.platformLogRetentionDays - 1);
    const cursor = (await this.deps.runs.cursor(PLATFORM_CURSOR)) ?? addDays(lastDay, -INITIAL_PLATFORM_LOOKBACK_DAYS);
    const done = { processed: 0, records: 0 };
    for (let day = addDays(cursor, 1); day <= lastDay; day = addDays(day, 1)) {
      for (;;) {
        const limit = Math.min(PAGE_SIZE, this.recordsPerBatch - done.records);
        if (limit <= 0) {
          await this.deps.runs.addProgress(input.runId, PLATFORM_SCOPE, done, this.now());
          return { more: true, ...done };
        }
        const page = await queryBatch<{ id: string }>(this.deps.usage, { select: 'c.id' }, [['municipalityId', PLATFORM_TENANT], ['accountBucket', platformBucket(day)]], limit);
        await bulkWrite(
          this.deps.usage,
          page.items.map((item) => deleteOperation(item.id, [PLATFORM_TENANT, platformBucket(day)])),
          deleted,
          JOB_RETRY_BUDGET_MS,
        );
        done.records += page.items.length;
        if (!page.more) break;
      }
      await this.deps.runs.moveCursor(PLATFORM_CURSOR, day);
    }
    await this.deps.runs.addProgress(input.runId, PLATFORM_SCOPE, done, this.now());
    return { more: false, ...done };
  }

  async finish(input: FinishInput): Promise<RunSummary> {
    if (!input.dryRun) await this.settleProcessed(input);
    const overdue = await this.countOverdue(new Date(input.asOf));
    return finishJobRun(this.deps, { jobName: USAGE_ANONYMISATION_JOB, runId: input.runId, dryRun: input.dryRun, failures: input.failures, overdue, at: this.now() });
  }

  /**
   * Batches count what they did at most once: a batch that failed after some work and was
   * retried does not count that work twice, but may not count it at all. The accounts done
   * are therefore settled from the ledger at the end (due at the start minus still due), so
   * `processed` and `remaining` are exact; `records` stays an at-most-once count.
   */
  private async settleProcessed(input: FinishInput): Promise<void> {
    for (const { scope, due } of await this.deps.runs.dueByScope(input.runId)) {
      if (scope === PLATFORM_SCOPE) continue;
      let remaining = 0;
      for (const { day } of await this.deps.ledger.openDaysUpTo(input.cutoffDay, scope)) remaining += await this.deps.ledger.countEntries(scope, day);
      await this.deps.runs.settleProcessed(input.runId, scope, Math.max(0, due - remaining), this.now());
    }
  }

  /** Entries past their 3-month deadline: only days at least 89 days old can hold any. */
  async countOverdue(asOf: Date): Promise<number> {
    let overdue = 0;
    for (const { municipalityId, day } of await this.deps.ledger.openDaysUpTo(overdueCandidateDay(asOf))) {
      overdue += await this.deps.ledger.countEntries(municipalityId, day, asOf.toISOString());
    }
    return overdue;
  }

  /** Anonymises up to `budget` records of one account; complete once nothing of it is left. */
  private async anonymiseAccount(entry: DueEntry, budget: number): Promise<{ records: number; complete: boolean }> {
    let records = 0;
    for (const month of await this.deps.months.list(entry.municipalityId, entry.accountId)) {
      const bucket = accountBucket(entry.accountId, month);
      for (;;) {
        const limit = Math.min(PAGE_SIZE, budget - records);
        if (limit <= 0) return { records, complete: false };
        const page = await queryBatch<UsageRecord>(this.deps.usage, {}, [['municipalityId', entry.municipalityId], ['accountBucket', bucket]], limit);
        await this.replaceWithTwins(page.items, entry);
        records += page.items.length;
        if (!page.more) break;
      }
      await this.deps.months.remove(entry.municipalityId, entry.accountId, month);
    }
    return { records, complete: true };
  }

  /** The account's digest leaves the cells first: once its events are gone, nothing would find those cells again. */
  private async replaceWithTwins(records: readonly UsageRecord[], entry: DueEntry): Promise<void> {
    if (records.length === 0) return;
    await this.deps.cells.forget(entry.municipalityId, entry.accountId, records.filter((record) => record.type === 'usage-event'));
    const { secret } = entry;
    await bulkWrite(
      this.deps.usage,
      records.map((record) => {
        const twin = anonymisedCopy(record, secret);
        return createOperation(twin, [twin.municipalityId, twin.accountBucket]);
      }),
      created,
      JOB_RETRY_BUDGET_MS,
    );
    await bulkWrite(
      this.deps.usage,
      records.map((record) => deleteOperation(record.id, [record.municipalityId, record.accountBucket])),
      deleted,
      JOB_RETRY_BUDGET_MS,
    );
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}
