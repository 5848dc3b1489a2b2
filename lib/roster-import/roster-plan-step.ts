import type { Container } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import { emptyCounts, type OperationCounter, type OperationCounts } from '../data/operation-counter.js';
import { erasedSubjectsOf, type ErasureDigests } from '../erasure/erased-subjects.js';
import { RosterArchive } from './roster-archive.js';
import { batchBlob } from './roster-batch-blobs.js';
import { ROSTER_FILES, type RosterFileKey } from './roster-files.js';
import { emptyFiles, type StoredRosterImport } from './roster-import-model.js';
import { ROSTER_LIMITS } from './roster-limits.js';
import { readManifest } from './roster-manifest.js';
import { planImport, type PlanOp } from './roster-plan.js';
import { readRosterAndDirectory } from './roster-read-order.js';
import { RosterArchiveRefused, type RefusalKind } from './roster-refusal.js';
import { DirectorySnapshot } from './roster-snapshot.js';

/** What the plan step reads and writes through: the app's own clients, or a worker's built from the same configuration. */
export interface PlanStepDependencies {
  directory: Container;
  uploadBlobs: ContainerClient;
  batchBlobs: ContainerClient;
  operations: OperationCounter;
  /** The key the erasure records' digests were made with (`erasedSubjectsOf`). */
  digestKey: string;
}

/** One run's plan step, as data: it crosses to a worker thread. */
export interface PlanStepInput {
  run: Pick<StoredRosterImport, 'id' | 'municipalityId' | 'blob' | 'blobEtag' | 'mode' | 'dryRun'>;
  /** The clock's time when the step began: the school year's "today", and the time every write is stamped with. */
  now: string;
  identity: { type: string; issuer: string };
  /** Who erasures of the municipality cover, when the step began. */
  erasures: ErasureDigests;
}

export type PlanStepOutcome =
  | {
      kind: 'planned';
      /** Per file, the rows read and what became of them. */
      files: StoredRosterImport['files'];
      rejected: number;
      rejections: StoredRosterImport['rejections'];
      samples: StoredRosterImport['samples'];
      batches: number;
      counts: OperationCounts;
    }
  | { kind: 'refused'; reason: string; refusal: RefusalKind; counts: OperationCounts };

/**
 * Reads the run's upload, compares it with the directory and stores the writes as batches of
 * at most `batchOperations` in Blob Storage, each as soon as it is full (a dry run stores
 * none). A file that is not read (any further) answers `refused` with the reason, having
 * stored nothing the run will apply; a failure of ours (a read of the blob or the directory)
 * throws, and the step is retried.
 */
export async function planStep(deps: PlanStepDependencies, input: PlanStepInput): Promise<PlanStepOutcome> {
  const { run } = input;
  const counts = emptyCounts();
  const batches = new BatchSink(run.dryRun ? undefined : (index, body) => deps.batchBlobs.getBlockBlobClient(batchBlob(run, index)).upload(body, Buffer.byteLength(body)).then(() => undefined));
  let archive: RosterArchive | undefined;
  try {
    ({ archive } = await RosterArchive.openUpload(deps.uploadBlobs.getBlobClient(run.blob), run.blobEtag));
    const opened = archive;
    const { result } = await deps.operations.measure(async () => {
      const modes = await readManifest(opened, run.mode);
      const today = input.now.slice(0, 10);
      const { roster, snapshot } = await readRosterAndDirectory(
        opened,
        modes,
        { municipalityId: run.municipalityId, today, identityType: input.identity.type, listedRejections: ROSTER_LIMITS.listedRejections },
        (userIds) => DirectorySnapshot.load(deps.directory, run.municipalityId, userIds),
      );
      try {
        const erased = erasedSubjectsOf(deps.digestKey, input.erasures);
        const plan = await planImport(roster, snapshot, { municipalityId: run.municipalityId, today, now: input.now, identityIssuer: input.identity.issuer, erased }, (op) => batches.add(op));
        await batches.flush();
        return { roster, plan };
      } finally {
        snapshot.discard();
      }
    }, counts);
    const { roster, plan } = result;
    const files = emptyFiles();
    for (const key of Object.keys(ROSTER_FILES) as RosterFileKey[]) {
      const file = ROSTER_FILES[key].file;
      files[file] = { read: roster.tallies[key].read, ...plan.changes[key], rejected: roster.tallies[key].rejected + (plan.rejectedByFile[key] ?? 0) };
    }
    return {
      kind: 'planned',
      files,
      rejected: roster.rejected + plan.rejections.length,
      rejections: [...roster.rejections, ...plan.rejections].slice(0, ROSTER_LIMITS.listedRejections),
      samples: plan.samples,
      batches: batches.stored,
      counts,
    };
  } catch (error) {
    if (!(error instanceof RosterArchiveRefused)) throw error;
    return { kind: 'refused', reason: error.reason, refusal: error.kind, counts };
  } finally {
    archive?.close();
  }
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
