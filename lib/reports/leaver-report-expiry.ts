import type { Clock } from '../clock.js';
import type { SettingsStore } from '../directory/settings.js';
import type { JobRunStore } from '../jobs/job-runs.js';
import type { JobSignals } from '../jobs/job-signals.js';
import type { MunicipalityRegistry } from '../platform/municipalities.js';
import { bulkWrite, deleted, deleteOperation, JOB_RETRY_BUDGET_MS } from '../usage/bulk.js';
import { addDays, dayOf } from '../usage/retention-policy.js';
import { blobNameOf, blobNamesOf, CLOSED_AFTER_DAYS, REPORT_FORMATS, type StoredLeaverReport } from './leaver-report-model.js';
import type { ReportBlobs } from './report-blobs.js';
import type { DueWindow, ReportIndex } from './report-index.js';
import { dueIfCreatedBefore, EXPIRY_LOOKAHEAD_MS } from './retention.js';
import { finishJobRun, type JobRunOutcome } from '../jobs/finish-job-run.js';

export const LEAVER_REPORT_EXPIRY_JOB = 'leaver-report-expiry';
/** Reports one expire activity removes: bounds its duration; the orchestrator asks again while there is more. */
const REPORTS_PER_BATCH = 1_000;
const PAGE_SIZE = 100;
/** Days one run compares at most (the first run, or after missed runs); older days are left to the sweep of due days. */
const MAX_REPAIR_DAYS = 31;

// Activity inputs and outputs: ids, moments and counts only.
export interface ExpiryRunInput {
  runId: string;
  asOf: string;
  dryRun: boolean;
}
export interface ExpiryPlan {
  municipalities: string[];
}
export interface MunicipalityExpiryInput extends ExpiryRunInput {
  municipalityId: string;
}
export interface ExpiryCount {
  due: number;
  /** Due reports already past their deadline (not just within the look-ahead). */
  overdue: number;
}
export interface ExpiryBatchResult {
  more: boolean;
  processed: number;
  records: number;
}
export interface ExpiryFinishInput extends ExpiryRunInput {
  failures: number;
  overdue: number;
}
/** What a run of this job did: the shape every retention job returns. */
export type ExpirySummary = JobRunOutcome;

export interface ExpiryDependencies {
  index: ReportIndex;
  blobs: ReportBlobs;
  settings: SettingsStore;
  municipalities: MunicipalityRegistry;
  runs: JobRunStore;
  clock: Clock;
  signals: JobSignals;
}

/**
 * The work of the `leaver-report-expiry` job (P4), one method per activity.
 *
 * A report is due once its deadline is within the look-ahead: the stored deadline, or the
 * one the controller's current retention gives (lowering it applies to existing reports).
 * Both are range conditions on indexed fields inside one municipality's partition, so a run
 * reads what is due and nothing else. Blobs go before their index entry: a crash in between
 * leaves an entry that is still due and is found again; deleting twice is harmless.
 *
 * The repair pass puts blobs and index back in step: blobs in creation-day folders that are
 * due go whatever the index says, and each newly closed creation day is compared once
 * (a cursor per municipality) so that an entry without its blobs or blobs without an entry
 * are removed within days, not at expiry.
 */
export class LeaverReportExpiry {
  constructor(private readonly deps: ExpiryDependencies) {}

  async plan(input: ExpiryRunInput): Promise<ExpiryPlan> {
    await this.deps.runs.markRunning(input.runId, this.now());
    return { municipalities: await this.deps.municipalities.ids() };
  }

  async count(input: MunicipalityExpiryInput): Promise<ExpiryCount> {
    const window = await this.window(input);
    const due = await this.deps.index.countDue(input.municipalityId, window);
    const overdue = due === 0 ? 0 : await this.deps.index.countDue(input.municipalityId, await this.window(input, 0));
    if (due > 0) await this.deps.runs.setDue(input.runId, input.municipalityId, due, this.now());
    return { due, overdue };
  }

  /** Reports past their deadline in every municipality (one count per municipality): P4 broken if not 0. */
  async countOverdue(now: Date): Promise<number> {
    let overdue = 0;
    const asOf = now.toISOString();
    for (const id of await this.deps.municipalities.ids()) overdue += await this.deps.index.countDue(id, await this.window({ municipalityId: id, asOf }, 0));
    return overdue;
  }

  /** Removes up to REPORTS_PER_BATCH due reports, blobs first. */
  async expire(input: MunicipalityExpiryInput): Promise<ExpiryBatchResult> {
    const window = await this.window(input);
    const done = { processed: 0, records: 0 };
    let more = true;
    while (done.processed < REPORTS_PER_BATCH) {
      const due = await this.deps.index.due(input.municipalityId, window, PAGE_SIZE);
      done.records += await this.remove(input.municipalityId, due);
      done.processed += due.length;
      if (due.length < PAGE_SIZE) {
        more = false;
        break;
      }
    }
    await this.deps.runs.addProgress(input.runId, input.municipalityId, done, this.now());
    return { more, ...done };
  }

  /** The sweep of due creation days and the comparison of newly closed ones. Returns what it removed. */
  async repair(input: MunicipalityExpiryInput): Promise<number> {
    const { municipalityId } = input;
    const window = await this.window(input);
    let removed = 0;
    // Everything created on a day before `createdBefore` is due, indexed or not.
    for (const day of await this.deps.blobs.daysUpTo(municipalityId, addDays(dayOf(new Date(window.createdBefore)), -1))) {
      removed += await this.deps.blobs.deleteAll((await this.deps.blobs.onDay(municipalityId, day)).map((blob) => blob.name));
    }
    const cursorName = `${LEAVER_REPORT_EXPIRY_JOB}:repair:${municipalityId}`;
    const lastClosed = addDays(dayOf(new Date(input.asOf)), -CLOSED_AFTER_DAYS);
    const oldest = addDays(lastClosed, 1 - MAX_REPAIR_DAYS);
    const next = addDays((await this.deps.runs.cursor(cursorName)) ?? oldest, 1);
    for (let day = next > oldest ? next : oldest; day <= lastClosed; day = addDays(day, 1)) {
      removed += await this.reconcile(municipalityId, day);
      await this.deps.runs.moveCursor(cursorName, day);
    }
    if (removed > 0) await this.deps.runs.addProgress(input.runId, municipalityId, { processed: 0, records: removed }, this.now());
    return removed;
  }

  async finish(input: ExpiryFinishInput): Promise<ExpirySummary> {
    return finishJobRun(this.deps, { jobName: LEAVER_REPORT_EXPIRY_JOB, runId: input.runId, dryRun: input.dryRun, failures: input.failures, overdue: input.overdue, at: this.now() });
  }

  /** One closed creation day: an entry missing a blob (or never finished) goes with what it has; blobs of no entry's current version go. */
  private async reconcile(municipalityId: string, day: string): Promise<number> {
    const entries = await this.deps.index.createdOn(municipalityId, day);
    const blobs = await this.deps.blobs.onDay(municipalityId, day);
    const stored = new Set(blobs.map((blob) => blob.name));
    // A pending version of a closed day is never published (the generator checks), so its blobs count as orphans.
    const indexed = new Set(entries.map((entry) => entry.version));
    const broken = entries.filter((entry) => entry.state !== 'ready' || REPORT_FORMATS.some((format) => !stored.has(blobNameOf(entry, format))));
    let removed = await this.remove(municipalityId, broken);
    removed += await this.deps.blobs.deleteAll(blobs.filter((blob) => !indexed.has(blob.version)).map((blob) => blob.name));
    return removed;
  }

  /** Blobs, then index entries (bulk). Returns blobs and entries removed. */
  private async remove(municipalityId: string, reports: readonly StoredLeaverReport[]): Promise<number> {
    if (reports.length === 0) return 0;
    const blobs = await this.deps.blobs.deleteAll(reports.flatMap(blobNamesOf));
    await bulkWrite(this.deps.index.container, reports.map((report) => deleteOperation(report.id, municipalityId)), deleted, JOB_RETRY_BUDGET_MS);
    return blobs + reports.length;
  }

  /** Due by `asOf` plus the look-ahead, under the municipality's current retention. */
  private async window(input: Pick<MunicipalityExpiryInput, 'municipalityId' | 'asOf'>, lookahead = EXPIRY_LOOKAHEAD_MS): Promise<DueWindow> {
    const months = (await this.deps.settings.get(input.municipalityId)).value.leaverReportRetentionMonths;
    const moment = new Date(Date.parse(input.asOf) + lookahead);
    return { moment: moment.toISOString(), createdBefore: dueIfCreatedBefore(moment, months).toISOString() };
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}
