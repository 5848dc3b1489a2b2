import type { Container } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import type { Clock } from '../clock.js';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import type { JobRunStore } from '../jobs/job-runs.js';
import type { JobSignals } from '../jobs/job-signals.js';
import { queryAll, queryBatch } from '../paging/query-page.js';
import { blobNameOf, EXPIRY_PARTITION, type ExportDueEntry, type StoredExport } from './export-model.js';
import { finishJobRun, type JobRunOutcome } from '../jobs/finish-job-run.js';

export const EXPORT_EXPIRY_JOB = 'export-expiry';

/** A daily run plus two hours' slack. */
const OVERDUE_AFTER_EXPIRY_MS = 26 * 3_600_000;
const SCOPE = 'exports';

// Activity inputs and outputs: ids, instants and counts only.
export interface ExpiryRunInput {
  runId: string;
  asOf: string;
  dryRun: boolean;
}
export interface ExpiryBatchResult {
  more: boolean;
  processed: number;
  records: number;
}
export interface ExpiryFinishInput extends ExpiryRunInput {
  failures: number;
}
/** What a run of this job did: the shape every retention job returns. */
export type ExpirySummary = JobRunOutcome;

export interface ExportExpiryDependencies {
  exports: Container;
  blobs: ContainerClient;
  runs: JobRunStore;
  clock: Clock;
  signals: JobSignals;
}

/**
 * The work of the `export-expiry` job (P14: exports expire after 7 days), one method per
 * activity. Due work is found in the expiry index (partition `_expiry` of container
 * `exports`, one entry per export, written before the export): one single-partition query
 * per batch over entries already due, so the cost follows the exports that expire, not the
 * exports or municipalities that exist. Each export: delete the file, mark the document
 * expired, then drop the entry; a crash anywhere leaves the entry, and repeating any step is
 * harmless. The storage lifecycle rule (infra/app/storage.bicep) deletes files a day later
 * as a backstop.
 */
export class ExportExpiry {
  constructor(
    private readonly deps: ExportExpiryDependencies,
    private readonly pageSize = 50,
  ) {}

  async plan(input: ExpiryRunInput): Promise<number> {
    await this.deps.runs.markRunning(input.runId, this.now());
    const due = await this.countDue(input.asOf);
    await this.deps.runs.setDue(input.runId, SCOPE, due, this.now());
    return due;
  }

  async batch(input: ExpiryRunInput): Promise<ExpiryBatchResult> {
    const { items } = await queryBatch<ExportDueEntry>(
      this.deps.exports,
      { where: "c.type = 'export-due' AND c.expiresAt <= @asOf", parameters: [{ name: '@asOf', value: input.asOf }] },
      [['municipalityId', EXPIRY_PARTITION]],
      this.pageSize,
    );
    let records = 0;
    for (const entry of items) records += await this.expire(entry);
    await this.deps.runs.addProgress(input.runId, SCOPE, { processed: items.length, records }, this.now());
    return { more: items.length === this.pageSize, processed: items.length, records };
  }

  async finish(input: ExpiryFinishInput): Promise<ExpirySummary> {
    const overdue = input.dryRun ? 0 : await this.countDue(input.asOf);
    return finishJobRun(this.deps, { jobName: EXPORT_EXPIRY_JOB, runId: input.runId, dryRun: input.dryRun, failures: input.failures, overdue, at: this.now() });
  }

  /** Returns the number of files deleted (0 when an earlier attempt or an erasure got there first). */
  private async expire(entry: ExportDueEntry): Promise<number> {
    const municipalityId = entry.exportMunicipalityId;
    let deleted = 0;
    const record = await this.readExport(municipalityId, entry.id);
    if (record) {
      const { succeeded } = await this.deps.blobs.getBlockBlobClient(blobNameOf(municipalityId, record.id, record.format)).deleteIfExists();
      if (succeeded) deleted = 1;
      if (record.status !== 'expired') await this.deps.exports.item(record.id, municipalityId).replace({ ...record, status: 'expired', blobName: null });
    }
    try {
      await this.deps.exports.item(entry.id, EXPIRY_PARTITION).delete();
    } catch (error) {
      if (!isCosmosStatus(error, 404)) throw error;
    }
    return deleted;
  }

  private async readExport(municipalityId: string, id: string): Promise<StoredExport | undefined> {
    try {
      const { resource } = await this.deps.exports.item(id, municipalityId).read<StoredExport>();
      return resource?.type === 'export' ? resource : undefined;
    } catch (error) {
      if (isCosmosStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /**
   * Exports still here more than a day after they expired: the daily run should have taken
   * them (until then an expired export is refused, but its file is still stored).
   */
  countOverdue(now: Date): Promise<number> {
    return this.countDue(new Date(now.getTime() - OVERDUE_AFTER_EXPIRY_MS).toISOString());
  }

  private async countDue(asOf: string): Promise<number> {
    const [count] = await queryAll<number>(
      this.deps.exports,
      { select: 'VALUE COUNT(1)', where: "c.type = 'export-due' AND c.expiresAt <= @asOf", parameters: [{ name: '@asOf', value: asOf }] },
      [['municipalityId', EXPIRY_PARTITION]],
    );
    return count ?? 0;
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}
