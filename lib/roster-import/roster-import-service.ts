import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import type { StaffPrincipal } from '../access/scopes.js';
import type { Clock } from '../clock.js';
import { emptyCounts, type OperationCounter, type OperationCounts } from '../data/operation-counter.js';
import type { UserDirectory } from '../directory/users.js';
import { HttpProblem, problems } from '../http/problem.js';
import type { JobScheduler } from '../jobs/job-scheduler.js';
import type { Logger } from '../logger.js';
import type { Page } from '../paging/continuation.js';
import type { PageRequest } from '../paging/query-page.js';
import type { OpenedUpload, RosterArchive } from './roster-archive.js';
import { RosterArchiveRefused } from './roster-refusal.js';
import { ROSTER_FILES, type RosterFileKey } from './roster-files.js';
import { emptyFiles, type RosterImportRequest, type RosterImportView, type StoredRosterImport } from './roster-import-model.js';
import { ROSTER_LIMITS } from './roster-limits.js';
import { readManifest } from './roster-manifest.js';
import { planImport, type PlanOp } from './roster-plan.js';
import { readRoster } from './roster-reader.js';
import type { RosterRunStore } from './roster-runs.js';
import { DirectorySnapshot } from './roster-snapshot.js';
import type { RosterUploads } from './roster-uploads.js';
import { RosterWriter } from './roster-writer.js';

export const ROSTER_IMPORT_ORCHESTRATOR = 'roster-import';

export function rosterImportInstanceId(runId: string): string {
  return `roster-import-${runId}`;
}

export interface RosterImportDependencies {
  directory: Container;
  blobs: ContainerClient;
  uploads: RosterUploads;
  users: UserDirectory;
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
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    await this.deps.runs.lock(municipalityId, run.id);
    await this.deps.runs.create(run);
    await this.deps.scheduler.start(ROSTER_IMPORT_ORCHESTRATOR, { municipalityId, runId: run.id }, rosterImportInstanceId(run.id));
    return view(run);
  }

  /** A failed run goes on from its last applied batch (or plans again, if it failed while planning). */
  async resume(municipalityId: string, runId: string): Promise<RosterImportView> {
    const run = await this.deps.runs.get(municipalityId, runId);
    if (run.status !== 'failed') throw problems.conflict(`The import is ${run.status}; only a failed import is resumed`);
    await this.deps.runs.lock(municipalityId, run.id);
    // Planned: its batches are in storage and go on from the first not applied; otherwise it plans again.
    const status = run.batches > 0 ? 'applying' : 'queued';
    const resumed: StoredRosterImport = { ...run, status, failure: null, finishedAt: null, updatedAt: this.deps.clock.now().toISOString() };
    await this.deps.runs.save(resumed);
    await this.deps.scheduler.start(ROSTER_IMPORT_ORCHESTRATOR, { municipalityId, runId }, rosterImportInstanceId(runId));
    return view(resumed);
  }

  async get(municipalityId: string, runId: string): Promise<RosterImportView> {
    return view(await this.deps.runs.get(municipalityId, runId));
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
    run = await this.update(run, { status: 'planning' });
    const counts = emptyCounts();
    let archive: RosterArchive | undefined;
    // A dry run keeps no write; a real one stores each batch as soon as it is full, so the plan is never held whole.
    const planned = run;
    const batches = new BatchSink(run.dryRun ? undefined : (index, body) => this.deps.blobs.getBlockBlobClient(batchBlob(planned, index)).upload(body, Buffer.byteLength(body)).then(() => undefined));
    try {
      ({ archive } = await this.open(run.blob, run.blobEtag));
      const opened = archive;
      const { result } = await this.deps.operations.measure(async () => {
        const modes = await readManifest(opened, run.mode);
        const snapshot = await DirectorySnapshot.load(this.deps.directory, municipalityId);
        const now = this.deps.clock.now();
        const today = now.toISOString().slice(0, 10);
        const roster = await readRoster(opened, modes, {
          municipalityId,
          today,
          identityType: this.deps.identity.type,
          known: (kind, sourcedId) => modes[KIND_FILE[kind]] !== 'bulk' && snapshot.knows(kind, sourcedId),
          listedRejections: ROSTER_LIMITS.listedRejections,
        });
        const plan = await planImport(roster, snapshot, { municipalityId, today, now: now.toISOString(), identityIssuer: this.deps.identity.issuer }, (op) => batches.add(op));
        await batches.flush();
        return { roster, plan };
      }, counts);
      const { roster, plan } = result;
      const files = emptyFiles();
      for (const key of Object.keys(ROSTER_FILES) as RosterFileKey[]) {
        const file = ROSTER_FILES[key].file;
        files[file] = { read: roster.tallies[key].read, ...plan.changes[key], rejected: roster.tallies[key].rejected + (plan.rejectedByFile[key] ?? 0) };
      }
      const rejections = [...roster.rejections, ...plan.rejections].slice(0, ROSTER_LIMITS.listedRejections);
      run = await this.update(run, {
        status: run.dryRun ? 'completed' : 'applying',
        files,
        rejected: roster.rejected + plan.rejections.length,
        rejections,
        samples: plan.samples,
        batches: batches.stored,
        appliedBatches: 0,
        operations: addCounts(run.operations, counts),
        ...(run.dryRun ? { finishedAt: this.deps.clock.now().toISOString() } : {}),
      });
      if (run.dryRun) await this.deps.runs.unlock(municipalityId, runId);
      return { batches: run.batches, appliedBatches: 0 };
    } catch (error) {
      if (!(error instanceof RosterArchiveRefused)) throw error;
      await this.fail(municipalityId, runId, `The file was refused: ${error.reason}`, counts);
      return { batches: 0, appliedBatches: 0 };
    } finally {
      archive?.close();
    }
  }

  /** Applies batch `index` unless it already was (a replayed or retried call). */
  async apply(municipalityId: string, runId: string, index: number): Promise<void> {
    const run = await this.deps.runs.get(municipalityId, runId);
    if (run.status !== 'applying' || index < run.appliedBatches) return;
    const ops = JSON.parse((await this.deps.blobs.getBlockBlobClient(batchBlob(run, index)).downloadToBuffer()).toString('utf8')) as PlanOp[];
    const { result, counts } = await this.deps.operations.measure(() => this.writer.apply(municipalityId, ops));
    await this.update(run, {
      appliedBatches: index + 1,
      failedWrites: run.failedWrites + result.failed,
      operations: addCounts(run.operations, counts),
    });
  }

  /** The end of a run: completed, the lock freed, the batches and (after a real import) the upload deleted. */
  async finish(municipalityId: string, runId: string): Promise<void> {
    const run = await this.deps.runs.get(municipalityId, runId);
    if (run.status === 'applying') await this.update(run, { status: 'completed', finishedAt: this.deps.clock.now().toISOString() });
    await this.deps.runs.unlock(municipalityId, runId);
    if (run.status === 'failed') return;
    // By prefix, not by count: a plan that failed part way and was planned again may have left more batches than it has now.
    for await (const blob of this.deps.blobs.listBlobsFlat({ prefix: batchPrefix(run) })) await this.deps.blobs.getBlockBlobClient(blob.name).deleteIfExists();
    if (!run.dryRun) await this.deps.blobs.getBlockBlobClient(run.blob).deleteIfExists();
  }

  /** The run stops, keeping its progress for a resume; the lock is freed. */
  async fail(municipalityId: string, runId: string, reason: string, counts?: OperationCounts): Promise<void> {
    const run = await this.deps.runs.get(municipalityId, runId);
    if (run.status === 'completed') return;
    await this.update(run, {
      status: 'failed',
      failure: reason,
      finishedAt: this.deps.clock.now().toISOString(),
      ...(counts ? { operations: addCounts(run.operations, counts) } : {}),
    });
    await this.deps.runs.unlock(municipalityId, runId);
    this.deps.logger.warn('roster-import-failed', { municipalityId, runId });
  }

  private async update(run: StoredRosterImport, changes: Partial<StoredRosterImport>): Promise<StoredRosterImport> {
    const next = { ...run, ...changes, updatedAt: this.deps.clock.now().toISOString() };
    await this.deps.runs.save(next);
    return next;
  }

  /** The uploaded zip, pinned to the version a run saw at its start (roster-archive.ts). */
  private async open(blobName: string, etag?: string): Promise<OpenedUpload> {
    // Loaded on first use: the zip reader and the CSV parser are not needed to start the app.
    const { RosterArchive } = await import('./roster-archive.js');
    return RosterArchive.openUpload(this.deps.blobs.getBlobClient(blobName), etag);
  }
}

/** Which file's mode decides whether a delta may refer to what the directory already holds. */
const KIND_FILE = { school: 'orgs', user: 'users', group: 'classes' } as const satisfies Record<string, RosterFileKey>;

function refusedFile(message: string): HttpProblem {
  return problems.validation([{ field: 'body/blob', message }]);
}

/** A file refused at the start: 413 over the size limit, otherwise 400 on `body/blob` with the reason. */
function refusalProblem(refusal: RosterArchiveRefused, mode: RosterImportRequest['mode']): HttpProblem {
  if (refusal.kind === 'too-large') return new HttpProblem(413, 'payload-too-large', 'Payload too large', `A roster zip may be at most ${ROSTER_LIMITS.maxUploadBytes / (1024 * 1024)} MiB`);
  return refusedFile(refusal.kind === 'file' ? `is not a OneRoster 1.2 ${mode} set: ${refusal.reason}` : refusal.reason);
}

function batchPrefix(run: StoredRosterImport): string {
  return `${run.municipalityId}/runs/${run.id}/`;
}

function batchBlob(run: StoredRosterImport, index: number): string {
  return `${batchPrefix(run)}batch-${String(index).padStart(6, '0')}.json`;
}

/**
 * Collects planned writes into batches of at most `batchOperations` and hands each full one to
 * `store` at once, so memory holds one batch, not the plan. Without `store` (a dry run) the
 * writes are only counted by the planner and dropped here.
 */
class BatchSink {
  private pending: PlanOp[] = [];
  stored = 0;

  constructor(private readonly store: ((index: number, body: string) => Promise<void>) | undefined) {}

  async add(op: PlanOp): Promise<void> {
    if (!this.store) return;
    this.pending.push(op);
    if (this.pending.length >= ROSTER_LIMITS.batchOperations) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.store || this.pending.length === 0) return;
    const body = JSON.stringify(this.pending);
    this.pending = [];
    await this.store(this.stored, body);
    this.stored += 1;
  }
}

function addCounts(current: StoredRosterImport['operations'], counts: OperationCounts): StoredRosterImport['operations'] {
  return {
    reads: current.reads + counts['point-read'],
    queries: current.queries + counts['partition-query'] + counts['cross-partition-query'],
    writes: current.writes + counts.write,
  };
}

function view(run: StoredRosterImport): RosterImportView {
  const { type: _type, municipalityId: _municipality, blob: _blob, blobEtag: _blobEtag, ...rest } = run;
  return rest;
}
