import { z } from 'zod';
import { ROSTER_FILES, type RosterFileKey } from './roster-files.js';

export const rosterImportRequestSchema = z.strictObject({
  /** The blob name handed out by `POST …/roster-uploads`. */
  blob: z.string().regex(/^\d{4}\/uploads\/[0-9a-f-]{36}\.zip$/, 'must be a blob name from POST roster-uploads'),
  mode: z.enum(['bulk', 'delta']),
  dryRun: z.boolean().default(false),
});

export type RosterImportRequest = z.infer<typeof rosterImportRequestSchema>;

export const RUN_STATUSES = ['queued', 'planning', 'applying', 'completed', 'failed', 'superseded', 'expired'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** A run holds the municipality's import lock while it is in one of these. */
export const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'planning', 'applying'];
/**
 * Nothing moves a run out of these: `superseded` (a newer import took over, so its plan is stale)
 * and `expired` (its upload or planned batches are gone) cannot be resumed; `failed` can.
 */
export const FINAL_STATUSES: readonly RunStatus[] = ['completed', 'superseded', 'expired'];

const fileProgressSchema = z.object({
  read: z.number(),
  created: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  leaver: z.number(),
  closed: z.number(),
  kept: z.number(),
  rejected: z.number(),
});

export type FileProgress = z.infer<typeof fileProgressSchema>;

const rejectionSchema = z.object({ file: z.string(), line: z.number(), column: z.string(), reason: z.string() });
const sampleSchema = z.object({
  file: z.string(),
  line: z.number().nullable(),
  kind: z.enum(['school', 'staff', 'student', 'group']),
  change: z.enum(['created', 'updated', 'leaver', 'closed']),
  fields: z.array(z.string()),
});

export const rosterImportSchema = z.object({
  id: z.string(),
  mode: z.enum(['bulk', 'delta']),
  dryRun: z.boolean(),
  status: z.enum(RUN_STATUSES),
  /** Why the file was refused, or the run failed, was superseded or expired; no value from the file. */
  failure: z.string().nullable(),
  files: z.record(z.string(), fileProgressSchema),
  rejected: z.number(),
  /** The first rejected rows (every one is counted in `files`). */
  rejections: z.array(rejectionSchema),
  /** The diff: the first rows of each kind of change. */
  samples: z.array(sampleSchema),
  batches: z.number(),
  appliedBatches: z.number(),
  /** Planned writes that failed when applied (a document changed through the API meanwhile, an identity taken). */
  failedWrites: z.number(),
  /** Cosmos DB requests of the import's own reads and writes of the directory (not of this run record). */
  operations: z.object({ reads: z.number(), queries: z.number(), writes: z.number() }),
  requestedBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
});

export type RosterImportView = z.infer<typeof rosterImportSchema>;

export interface StoredRosterImport extends RosterImportView {
  type: 'roster-import';
  municipalityId: string;
  blob: string;
  /** The upload's ETag when the run started: every later read of it is conditional on it. */
  blobEtag: string;
  /** When its finish step began, every batch applied: from then on the lock it frees is its own doing, not a takeover. */
  finishingAt?: string;
  /** When the plan read the erasures it honours: each batch checks those accepted since (none on runs from before). */
  erasuresReadAt?: string;
  /** The starting admin's role as the audit names it, for the entries of every batch written (none on runs from before). */
  requestedRole?: string;
  /**
   * The batch attempts being written, each marked before its erasure check and unmarked with
   * its progress: an erasure that a check may not have seen waits for them. One per attempt,
   * as a retry may overlap an attempt whose writes are still landing.
   */
  batchesInFlight?: BatchInFlight[];
}

/** One attempt at a batch, between its erasure check and its progress write. */
export interface BatchInFlight {
  attempt: string;
  checkedAt: string;
}

export function emptyFiles(): Record<string, FileProgress> {
  return Object.fromEntries(
    (Object.keys(ROSTER_FILES) as RosterFileKey[]).map((key) => [ROSTER_FILES[key].file, { read: 0, created: 0, updated: 0, unchanged: 0, leaver: 0, closed: 0, kept: 0, rejected: 0 }]),
  );
}

export const rosterUploadSchema = z.object({
  blob: z.string(),
  /** PUT the zip here (x-ms-blob-type: BlockBlob) before it expires. */
  uploadUrl: z.string(),
  expiresAt: z.string(),
  maxBytes: z.number(),
});

export type RosterUpload = z.infer<typeof rosterUploadSchema>;
