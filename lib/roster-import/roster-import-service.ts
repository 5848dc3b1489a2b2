import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import type { StaffPrincipal } from '../access/scopes.js';
import { auditRole } from '../audit/audit-actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { addCountsInto, emptyCounts, type OperationCounter, type OperationCounts } from '../data/operation-counter.js';
import type { UserDirectory } from '../directory/users.js';
import type { ErasedSubjects, ErasureDigests } from '../erasure/erased-subjects.js';
import { HttpProblem, problems } from '../http/problem.js';
import type { JobScheduler, OrchestrationState } from '../jobs/job-scheduler.js';
import type { Logger } from '../logger.js';
import type { Page } from '../paging/continuation.js';
import type { PageRequest } from '../paging/query-page.js';
import { WorkerOutOfMemory } from '../jobs/bounded-worker.js';
import { BulkOperationFailed } from '../usage/bulk.js';
import type { OpenedUpload } from './roster-archive.js';
import { batchBlob, batchPrefix } from './roster-batch-blobs.js';
import { erasuresSince, marked, unmarked, withoutErasedPeople } from './roster-erased-writes.js';
import { RosterArchiveRefused } from './roster-refusal.js';
import { batchAuditEvents } from './roster-import-audit.js';
import { ACTIVE_STATUSES, emptyFiles, FINAL_STATUSES, type RosterImportRequest, type RosterImportView, type StoredRosterImport } from './roster-import-model.js';
import { ROSTER_LIMITS } from './roster-limits.js';
import { readManifest } from './roster-manifest.js';
import type { PlanOp } from './roster-plan.js';
import type { RosterPlanStep } from './roster-plan-host.js';
import type { PlanStepOutcome } from './roster-plan-step.js';
import type { RosterRunStore, RunChange } from './roster-runs.js';
import type { RosterUploads } from './roster-uploads.js';
import { RosterWriter } from './roster-writer.js';

export const ROSTER_IMPORT_ORCHESTRATOR = 'roster-import';

export function rosterImportInstanceId(runId: string): string {
  return `roster-import-${runId}`;
}

export interface RosterImportDependencies {
  directory: Container;
  /** Where runs keep their planned batches: the main (private) account. */
  batchBlobs: ContainerClient;
  /** Where browsers upload the zips: the upload account (infra/app/upload-storage.bicep). */
  uploadBlobs: ContainerClient;
  uploads: RosterUploads;
  users: UserDirectory;
  /** Who an erasure instruction covers (lib/erasure), of those accepted since `since` if given: the import never writes them again. */
  erasedSubjects: (municipalityId: string, since?: string) => Promise<ErasedSubjects>;
  /** The same, as the digests the plan step tests against (it runs in a worker thread). */
  erasureDigests: (municipalityId: string) => Promise<ErasureDigests>;
  /** Runs a run's plan step: in a bounded worker thread (roster-plan-host.ts). */
  planStep: RosterPlanStep;
  /** Where each written batch's creates and changes are recorded, as the starting admin's. */
  audit: Pick<AuditLog, 'record'>;
  /** The audit's keyed pseudonym of an erased staff user (`erasedActorPseudonym`). */
  erasedActor: (municipalityId: string, userId: string) => string;
  runs: RosterRunStore;
  scheduler: JobScheduler;
  operations: OperationCounter;
  identity: { type: string; issuer: string };
  clock: Clock;
  logger: Logger;
}

/** What the orchestration needs to know after planning. */
export interface PlannedRun {
  batches: number;
  appliedBatches: number;
}

/** After one batch: `stopped` when the run can no longer go on (superseded or expired), so the orchestration goes to finish. */
export interface AppliedBatch {
  stopped: boolean;
}

/** Nothing (more) to apply: the orchestration goes to finish. */
const STOPPED: PlannedRun = { batches: 0, appliedBatches: 0 };

/** Why a run ended or failed, as the run shows it (no value from the file). */
/** How long a run must have gone unwritten before its ended orchestration fails it (a start or resume writes it just before scheduling). */
const SETTLE_AFTER_MS = 60_000;

const REASONS = {
  notStarted: 'The import could not be started and wrote nothing; resume it or start a new import',
  tookOver: `No progress for ${ROSTER_LIMITS.staleLockMinutes} minutes, so a newer import took over the municipality's lock; this one will not go on`,
  lostLock: "A newer import took over the municipality's lock; this one will not go on",
  newerImport: 'A newer import for the municipality was started after this one; going on would write an older roster over it. Start a new import with a current file',
  uploadGone: 'The uploaded file is gone (uploads are kept for a day; an erasure deletes the files of imports not running). Upload the roster again and start a new import',
  tooLarge: 'The roster is larger than an import can plan: its plan outgrew the memory one import may use. Nothing was written; ask the platform operators',
  uploadReplaced: 'The uploaded file was replaced after the import started, so it is not the file the start checked. Upload the roster again and start a new import',
  batchesGone: 'The planned batches are gone (kept for a day; an erasure deletes the files of imports not running). Upload the roster again and start a new import',
  orchestrationEnded: 'The import stopped without recording why (its orchestration ended or was terminated); resume it to go on where it stopped',
} as const;

/**
 * Roster imports (docs/roster-import.md): upload URLs, starting a run (the file's manifest is
 * checked in the request, so a file that is not OneRoster 1.2 is refused before anything is
 * written), and the steps the `roster-import` orchestration runs: plan (read the whole set,
 * compare with the directory, store the writes as batches in Blob Storage), apply one batch,
 * finish. Progress lives on the run, so a run resumes where it stopped.
 */
export class RosterImportService {
  private readonly writer: RosterWriter;

  constructor(private readonly deps: RosterImportDependencies) {
    this.writer = new RosterWriter(deps.directory, deps.users);
  }

  issueUpload(municipalityId: string) {
    return this.deps.uploads.issue(municipalityId);
  }

  async start(staff: StaffPrincipal, request: RosterImportRequest): Promise<RosterImportView> {
    const municipalityId = staff.municipalityId;
    if (!request.blob.startsWith(`${municipalityId}/uploads/`)) throw refusedFile('was not issued for this municipality');
    let blobEtag: string;
    try {
      const { archive, etag } = await this.open(request.blob);
      blobEtag = etag;
      try {
        await readManifest(archive, request.mode);
      } finally {
        archive.close();
      }
    } catch (error) {
      if (error instanceof RosterArchiveRefused) throw refusalProblem(error, request.mode);
      throw error;
    }
    const now = this.deps.clock.now().toISOString();
    const run: StoredRosterImport = {
      id: randomUUID(),
      type: 'roster-import',
      municipalityId,
      blob: request.blob,
      blobEtag,
      mode: request.mode,
      dryRun: request.dryRun,
      status: 'queued',
      failure: null,
      files: emptyFiles(),
      rejected: 0,
      rejections: [],
      samples: [],
      batches: 0,
      appliedBatches: 0,
      failedWrites: 0,
      operations: { reads: 0, queries: 0, writes: 0 },
      requestedBy: staff.userId,
      requestedRole: auditRole(staff.roles),
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    const staleHolder = await this.deps.runs.lock(municipalityId, run.id, this.deps.clock.now());
    try {
      await this.deps.runs.create(run);
    } catch (error) {
      // A lock whose run was never stored would refuse every start until it went stale.
      await this.deps.runs.unlock(municipalityId, run.id);
      throw error;
    }
    if (staleHolder) await this.endTakenOver(municipalityId, staleHolder);
    await this.schedule(run);
    return view(run);
  }

  /**
   * A failed run goes on from its last applied batch (or plans again, if it failed while
   * planning). Not if a newer real import was started since (its plan would write an older
   * roster over that one: the run ends superseded, 409), nor if the files it needs are gone (it
   * ends expired, 410). The checks come after the lock, so no import can start in between.
   */
  async resume(municipalityId: string, runId: string): Promise<RosterImportView> {
    const run = await this.settled(await this.deps.runs.get(municipalityId, runId));
    if (run.status === 'superseded') throw superseded();
    if (run.status === 'expired') throw expired();
    if (run.status !== 'failed') throw problems.conflict(`The import is ${run.status}; only a failed import is resumed`);
    // Its orchestration may still be ending (freeing the lock as the run failed): that step would free the resumed run's lock.
    const state = await this.orchestrationState(run);
    if (state === 'pending' || state === 'running') throw problems.conflict('The import failed a moment ago and is still stopping; resume it again in a few seconds');
    const staleHolder = await this.deps.runs.lock(municipalityId, run.id, this.deps.clock.now());
    if (staleHolder) await this.endTakenOver(municipalityId, staleHolder);
    if (!run.dryRun && (await this.deps.runs.newerImport(run))) {
      await this.end(municipalityId, runId, 'superseded', REASONS.newerImport);
      throw superseded();
    }
    const missing = await this.missingFiles(run);
    if (missing) {
      await this.end(municipalityId, runId, 'expired', REASONS[missing]);
      throw expired();
    }
    let resumedNow = false;
    const resumed = await this.update(municipalityId, runId, (current) => {
      // Decided on the run as last read: a write that lost (412) is recomputed on a fresh read.
      resumedNow = current.status === 'failed';
      if (!resumedNow) return undefined;
      // Planned: its batches are in storage and go on from the first not applied; otherwise it plans again.
      return { status: current.batches > 0 ? 'applying' : 'queued', failure: null, finishedAt: null };
    });
    if (!resumedNow) throw problems.conflict(`The import is ${resumed.status}; only a failed import is resumed`);
    await this.schedule(resumed);
    return view(resumed);
  }

  async get(municipalityId: string, runId: string): Promise<RosterImportView> {
    return view(await this.settled(await this.deps.runs.get(municipalityId, runId)));
  }

  /**
   * A run still active whose orchestration has ended without ending it (its fail step failed
   * too, after an outage longer than its retries, or the instance was terminated) would stay
   * active, unresumable and holding the lock for 30 minutes: it is failed now, freeing the lock,
   * so it can be resumed. Only a run untouched for a minute: a start or resume marks its run
   * before it schedules the orchestration, and meanwhile the instance is unknown or still the
   * last one's, ended. A runtime that cannot answer leaves the run as it is (never a 500 for it).
   */
  private async settled(run: StoredRosterImport): Promise<StoredRosterImport> {
    if (!ACTIVE_STATUSES.includes(run.status)) return run;
    if (this.deps.clock.now().getTime() - Date.parse(run.updatedAt) < SETTLE_AFTER_MS) return run;
    const state = await this.orchestrationState(run);
    if (state !== 'failed' && state !== 'completed') return run;
    await this.fail(run.municipalityId, run.id, REASONS.orchestrationEnded);
    return this.deps.runs.get(run.municipalityId, run.id);
  }

  /** The run's orchestration as the Durable runtime knows it; undefined when it does not know it or cannot answer. */
  private async orchestrationState(run: StoredRosterImport): Promise<OrchestrationState | undefined> {
    try {
      return await this.deps.scheduler.state(rosterImportInstanceId(run.id));
    } catch (error) {
      this.deps.logger.warn('roster-import-state-unavailable', { municipalityId: run.municipalityId, runId: run.id, error: error instanceof Error ? error.name : 'unknown' });
      return undefined;
    }
  }

  async list(municipalityId: string, page: PageRequest): Promise<Page<RosterImportView>> {
    const found = await this.deps.runs.list(municipalityId, page);
    return { items: found.items.map(view), continuationToken: found.continuationToken };
  }

  /**
   * Reads the set, compares it with the directory and stores the writes as batches. Runs once
   * per run: a run already planned answers with its progress. A refused file fails the run
   * with the reason, having written nothing to the directory.
   */
  async plan(municipalityId: string, runId: string): Promise<PlannedRun> {
    let run = await this.deps.runs.get(municipalityId, runId);
    if (run.status === 'applying' || run.status === 'completed') return { batches: run.batches, appliedBatches: run.appliedBatches };
    // Failed (its start failed, or it was stopped), superseded or expired: nothing to plan.
    if (run.status !== 'queued' && run.status !== 'planning') return STOPPED;
    if (!(await this.holdsLock(run))) return STOPPED;
    if (!(await this.uploadExists(run))) {
      await this.end(municipalityId, runId, 'expired', REASONS.uploadGone);
      return STOPPED;
    }
    run = await this.update(municipalityId, runId, (current) => (current.status === 'queued' || current.status === 'planning' ? { status: 'planning' } : undefined));
    // Planned meanwhile by a duplicate orchestration: its progress, not STOPPED, which would send this one to finish early.
    if (run.status === 'applying' || run.status === 'completed') return { batches: run.batches, appliedBatches: run.appliedBatches };
    if (run.status !== 'planning') return STOPPED;
    const counts = emptyCounts();
    const now = this.deps.clock.now();
    const { result: erasures } = await this.deps.operations.measure(() => this.deps.erasureDigests(municipalityId), counts);
    let outcome: PlanStepOutcome;
    try {
      const { id, blob, blobEtag, mode, dryRun } = run;
      outcome = await this.deps.planStep({ run: { id, municipalityId, blob, blobEtag, mode, dryRun }, now: now.toISOString(), identity: this.deps.identity, erasures });
    } catch (error) {
      if (!(error instanceof WorkerOutOfMemory)) throw error;
      // The same file would outgrow the same heap again: retrying would only repeat it.
      await this.fail(municipalityId, runId, REASONS.tooLarge, counts);
      return STOPPED;
    }
    addCountsInto(counts, outcome.counts);
    if (outcome.kind === 'refused') {
      // The upload gone or replaced will not come back: a failed run would be resumed into the same refusal, again and again.
      // A read pinned to the start's ETag answers 412 for a deleted upload too (Blob Storage, as Azurite), so "changed" is checked.
      if (outcome.refusal === 'missing' || outcome.refusal === 'changed') {
        const gone = outcome.refusal === 'missing' || !(await this.uploadExists(run));
        await this.end(municipalityId, runId, 'expired', gone ? REASONS.uploadGone : REASONS.uploadReplaced);
      } else await this.fail(municipalityId, runId, `The file was refused: ${outcome.reason}`, counts);
      return STOPPED;
    }
    const { files, rejected, rejections, samples, batches } = outcome;
    // Only onto a run still planning: one superseded meanwhile stays so, and its batches are discarded at finish.
    run = await this.update(municipalityId, runId, (current) =>
      current.status !== 'planning'
        ? undefined
        : {
            // A dry run too: it has no batch to apply, and finish completes it once its lock is free.
            status: 'applying',
            files,
            rejected,
            rejections,
            samples,
            batches,
            appliedBatches: 0,
            erasuresReadAt: now.toISOString(),
            operations: addCounts(current.operations, counts),
          },
    );
    if (run.status !== 'applying') return STOPPED;
    return { batches: run.batches, appliedBatches: 0 };
  }

  /**
   * Applies batch `index` unless it already was (a replayed or retried call), and only while the
   * run holds the municipality's lock: a run another import took over writes nothing more.
   */
  async apply(municipalityId: string, runId: string, index: number): Promise<AppliedBatch> {
    const run = await this.deps.runs.get(municipalityId, runId);
    if (run.status !== 'applying') return { stopped: true };
    if (index < run.appliedBatches) return { stopped: false };
    if (!(await this.holdsLock(run))) return { stopped: true };
    let body: Buffer;
    try {
      body = await this.deps.batchBlobs.getBlockBlobClient(batchBlob(run, index)).downloadToBuffer();
    } catch (error) {
      if (!isBlobMissing(error)) throw error;
      await this.end(municipalityId, runId, 'expired', REASONS.batchesGone);
      return { stopped: true };
    }
    const planned = JSON.parse(body.toString('utf8')) as PlanOp[];
    // Marked before its check: an erasure accepted from now on, which the check may not see, waits until the batch is written (roster-import-privacy.ts).
    const now = this.deps.clock.now();
    const mark = { attempt: randomUUID(), checkedAt: now.toISOString() };
    await this.update(municipalityId, runId, (current) => ({ batchesInFlight: marked(current.batchesInFlight, mark, now) }));
    // A failure in here leaves the mark until it dies: a write of this attempt may still land.
    const { result, counts } = await this.deps.operations.measure(async () => {
      // Read per batch: an erasure accepted while batches are applied, after the plan read them.
      const erased = await this.deps.erasedSubjects(municipalityId, erasuresSince(run));
      const { ops, dropped } = withoutErasedPeople(planned, erased);
      const outcome = await this.writer.apply(municipalityId, ops);
      return { ...outcome, failed: outcome.failed + dropped, erased };
    });
    try {
      // The starter erased since the run was read: their entries name them as the erasure has made the audit name them.
      const actor = result.erased('user', { id: run.requestedBy }) ? this.deps.erasedActor(municipalityId, run.requestedBy) : run.requestedBy;
      // Before the progress: a batch whose entries failed is applied again (its writes are idempotent) and recorded again.
      await Promise.all(batchAuditEvents({ ...run, requestedBy: actor }, result.written).map((event) => this.deps.audit.record(event)));
      // Thrown after the audit of what did land: the activity's retry writes the batch again.
      if (result.unexpected !== undefined) throw new BulkOperationFailed(result.unexpected, 1);
      await this.update(municipalityId, runId, (current) => ({
        appliedBatches: Math.max(current.appliedBatches, index + 1),
        failedWrites: current.failedWrites + result.failed,
        operations: addCounts(current.operations, counts),
        batchesInFlight: unmarked(current.batchesInFlight, mark.attempt),
      }));
    } catch (error) {
      // Failed after every write of this attempt was answered: no erasure need wait for its mark (if this fails too, the mark dies on its own).
      // An unexpected status may be a request that failed as a whole, whose writes may still land: that mark stays.
      if (result.unexpected === undefined) await this.update(municipalityId, runId, (current) => ({ batchesInFlight: unmarked(current.batchesInFlight, mark.attempt) })).catch(() => undefined);
      throw error;
    }
    return { stopped: false };
  }

  /**
   * The end of a run: the batches deleted, after a real import that completes the upload too,
   * the lock freed, and only then the run completed (once every batch is applied): whoever
   * reads it completed can start the next import at once (no 409 from a lock not yet freed)
   * and finds nothing of this one left. A failed run keeps its files for a resume; a superseded
   * or expired one keeps its upload, which a newer import may be reading (the lifecycle rule
   * deletes it). A run still applying with batches to go is left alone: another orchestration
   * of it is applying them (and finishes it). A run with every batch applied completes when
   * the lock is free, too: a retried finish finds it freed by its own first attempt (ending it
   * superseded then called a finished import lost), or even taken by a newer import since, which
   * `finishingAt`, written before anything is freed, tells from a takeover. Only a lock another
   * import took over before that ends it superseded, as at any batch: that import may be reading
   * the same upload.
   */
  async finish(municipalityId: string, runId: string): Promise<void> {
    let run = await this.deps.runs.get(municipalityId, runId);
    if (run.status === 'applying') {
      if (run.appliedBatches < run.batches) return;
      // A retried finish may find the lock it freed taken by a newer import since: that is no takeover.
      if (run.finishingAt === undefined) {
        if (await this.deps.runs.heldByAnother(municipalityId, runId)) {
          await this.end(municipalityId, runId, 'superseded', REASONS.lostLock);
          run = await this.deps.runs.get(municipalityId, runId);
        } else {
          run = await this.update(municipalityId, runId, (current) => (current.status === 'applying' ? { finishingAt: this.deps.clock.now().toISOString() } : undefined));
        }
      }
    }
    if (run.status === 'failed') {
      await this.deps.runs.unlock(municipalityId, runId);
      return;
    }
    const completes = run.status === 'applying' || run.status === 'completed';
    await this.discardBatches(run);
    if (completes && !run.dryRun) await this.deps.uploadBlobs.getBlockBlobClient(run.blob).deleteIfExists();
    await this.deps.runs.unlock(municipalityId, runId);
    if (run.status !== 'applying') return;
    await this.update(municipalityId, runId, (current) =>
      current.status === 'applying' && current.appliedBatches >= current.batches ? { status: 'completed', finishedAt: this.deps.clock.now().toISOString() } : undefined,
    );
  }

  /** The run stops, keeping its progress for a resume; the lock is freed. A run already ended stays as it ended. */
  async fail(municipalityId: string, runId: string, reason: string, counts?: OperationCounts): Promise<void> {
    const run = await this.update(municipalityId, runId, (current) =>
      FINAL_STATUSES.includes(current.status)
        ? undefined
        : {
            status: 'failed',
            failure: reason,
            finishedAt: this.deps.clock.now().toISOString(),
            ...(counts ? { operations: addCounts(current.operations, counts) } : {}),
          },
    );
    await this.deps.runs.unlock(municipalityId, runId);
    if (run.status === 'failed') this.deps.logger.warn('roster-import-failed', { municipalityId, runId });
  }

  /** Starts the run's orchestration; if that fails, the run fails (resumable) and frees the lock, and the caller is told to retry. */
  private async schedule(run: StoredRosterImport): Promise<void> {
    try {
      await this.deps.scheduler.start(ROSTER_IMPORT_ORCHESTRATOR, { municipalityId: run.municipalityId, runId: run.id }, rosterImportInstanceId(run.id));
    } catch (error) {
      this.deps.logger.error('roster-import-not-started', { municipalityId: run.municipalityId, runId: run.id, error: error instanceof Error ? error.name : 'unknown' });
      await this.fail(run.municipalityId, run.id, REASONS.notStarted);
      throw problems.unavailable('The import could not be started and wrote nothing; try again shortly', 30);
    }
  }

  /** Ends a run for good (superseded or expired) unless it has already ended: the lock freed, its planned batches deleted. */
  private async end(municipalityId: string, runId: string, status: 'superseded' | 'expired', reason: string): Promise<void> {
    const run = await this.update(municipalityId, runId, (current) =>
      FINAL_STATUSES.includes(current.status) ? undefined : { status, failure: reason, finishedAt: this.deps.clock.now().toISOString() },
    );
    await this.deps.runs.unlock(municipalityId, runId);
    await this.discardBatches(run);
    this.deps.logger.warn('roster-import-ended', { municipalityId, runId, status: run.status });
  }

  /**
   * Ends the run whose lock was just taken over. Best effort: the lock is already this run's,
   * and the old run finds that out at its next step (its renewal is refused, it ends
   * superseded); a failure here must not leave the new run unscheduled with the lock.
   */
  private async endTakenOver(municipalityId: string, staleHolder: string): Promise<void> {
    try {
      await this.end(municipalityId, staleHolder, 'superseded', REASONS.tookOver);
    } catch (error) {
      this.deps.logger.warn('roster-import-takeover-cleanup-failed', { municipalityId, runId: staleHolder, error: error instanceof Error ? error.name : 'unknown' });
    }
  }

  /** Renews the run's hold on the lock; a run that lost it (taken over) ends superseded. */
  private async holdsLock(run: StoredRosterImport): Promise<boolean> {
    if (await this.deps.runs.renew(run.municipalityId, run.id, this.deps.clock.now())) return true;
    await this.end(run.municipalityId, run.id, 'superseded', REASONS.lostLock);
    return false;
  }

  private uploadExists(run: StoredRosterImport): Promise<boolean> {
    return this.deps.uploadBlobs.getBlobClient(run.blob).exists();
  }

  /** What a resume would need and is gone: the batches not yet applied, or (to plan again) the upload. */
  private async missingFiles(run: StoredRosterImport): Promise<'uploadGone' | 'batchesGone' | undefined> {
    if (run.batches === 0) return (await this.uploadExists(run)) ? undefined : 'uploadGone';
    const stored = new Set<string>();
    for await (const blob of this.deps.batchBlobs.listBlobsFlat({ prefix: batchPrefix(run) })) stored.add(blob.name);
    for (let index = run.appliedBatches; index < run.batches; index += 1) if (!stored.has(batchBlob(run, index))) return 'batchesGone';
    return undefined;
  }

  /** By prefix, not by count: a plan that failed part way and was planned again may have left more batches than it has now. */
  private async discardBatches(run: StoredRosterImport): Promise<void> {
    for await (const blob of this.deps.batchBlobs.listBlobsFlat({ prefix: batchPrefix(run) })) await this.deps.batchBlobs.getBlockBlobClient(blob.name).deleteIfExists();
  }

  /** A progress write, conditional on the run as stored (an erasure's change to it is never undone). */
  private update(municipalityId: string, runId: string, change: RunChange): Promise<StoredRosterImport> {
    return this.deps.runs.update(municipalityId, runId, (current) => {
      const changes = change(current);
      return changes && { ...changes, updatedAt: this.deps.clock.now().toISOString() };
    });
  }

  /** The uploaded zip, pinned to the version a run saw at its start (roster-archive.ts). */
  private async open(blobName: string, etag?: string): Promise<OpenedUpload> {
    // Loaded on first use: the zip reader and the CSV parser are not needed to start the app.
    const { RosterArchive } = await import('./roster-archive.js');
    return RosterArchive.openUpload(this.deps.uploadBlobs.getBlobClient(blobName), etag);
  }
}

function refusedFile(message: string): HttpProblem {
  return problems.validation([{ field: 'body/blob', message }]);
}

/** The run's `failure` says which import superseded it; the problem says what to do. */
function superseded(): HttpProblem {
  return problems.conflict('The import was superseded by a newer import of the municipality and is not resumed; start a new import with a current file');
}

/** The run's `failure` says which files are gone; the problem says what to do. */
function expired(): HttpProblem {
  return new HttpProblem(410, 'gone', 'Gone', 'The import has expired: its uploaded file or planned batches are gone (they are kept for a day). Upload the roster again and start a new import');
}

function isBlobMissing(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

/** A file refused at the start: 413 over the size limit, otherwise 400 on `body/blob` with the reason. */
function refusalProblem(refusal: RosterArchiveRefused, mode: RosterImportRequest['mode']): HttpProblem {
  if (refusal.kind === 'too-large') return new HttpProblem(413, 'payload-too-large', 'Payload too large', `A roster zip may be at most ${ROSTER_LIMITS.maxUploadBytes / (1024 * 1024)} MiB`);
  return refusedFile(refusal.kind === 'file' ? `is not a OneRoster 1.2 ${mode} set: ${refusal.reason}` : refusal.reason);
}

function addCounts(current: StoredRosterImport['operations'], counts: OperationCounts): StoredRosterImport['operations'] {
  return {
    reads: current.reads + counts['point-read'],
    queries: current.queries + counts['partition-query'] + counts['cross-partition-query'],
    writes: current.writes + counts.write,
  };
}

function view(run: StoredRosterImport): RosterImportView {
  const { type: _type, municipalityId: _municipality, blob: _blob, blobEtag: _blobEtag, finishingAt: _finishing, erasuresReadAt: _erasuresRead, batchesInFlight: _inFlight, requestedRole: _role, ...rest } = run;
  return rest;
}
