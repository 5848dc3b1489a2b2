import { z } from 'zod';
import { isoDate } from '../directory/students.js';
import type { NamedSubject } from '../privacy/name-mentions.js';

/** A reference to the controller's written instruction (a case number): no spaces, so no names. */
export const instructionReferenceSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/:-]{0,99}$/, 'must be a case reference like SAK-2026/123 (letters, digits, . _ / : -)');

export const MAX_SUBJECTS_PER_INSTRUCTION = 2000;

export const bulkErasureSchema = z
  .strictObject({
    subjectType: z.enum(['student', 'user']),
    subjectIds: z.array(z.uuid()).min(1).max(100).refine((ids) => new Set(ids).size === ids.length, 'ids must not repeat').optional(),
    filter: z.strictObject({ status: z.literal('leaver'), leftBefore: isoDate }).optional(),
    instructionReference: instructionReferenceSchema,
  })
  .refine((body) => (body.subjectIds === undefined) !== (body.filter === undefined), 'give either subjectIds or filter')
  .refine((body) => body.filter === undefined || body.subjectType === 'student', { message: 'a filter selects students', path: ['filter'] });

export const ERASURE_STATUSES = ['pending', 'running', 'completed', 'failed'] as const;
export type ErasureStatus = (typeof ERASURE_STATUSES)[number];

export const erasureSchema = z.object({
  id: z.string(),
  subjectType: z.enum(['student', 'user']),
  instructionReference: z.string(),
  requestedBy: z.string().nullable(),
  status: z.enum(ERASURE_STATUSES),
  counts: z.object({ subjects: z.number(), completed: z.number(), failed: z.number() }),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** Completed by then, or it is overdue (ERASURE_OVERDUE_HOURS after it was accepted; none on records from before deadlines). */
  deadline: z.string().nullable().default(null),
  /** Not completed by its deadline: ops are alerted, and the work goes on until it completes. */
  overdue: z.boolean().default(false),
  /**
   * Staff erasures: what the audit log says instead of each erased user's id (a keyed
   * pseudonym), so the controller can still follow what one erased actor did.
   */
  auditPseudonyms: z.array(z.string()).default([]),
  /** Mentions of the erased people's names replaced in other people's free text, per privacy provider (the name sweep). */
  redactions: z.record(z.string(), z.number()).default({}),
});

export type Erasure = z.infer<typeof erasureSchema>;

/**
 * The record of one instruction (P16). It names nobody: subjects are kept only as keyed
 * digests, to recognise a repeated instruction, and the work list lives on the subjects'
 * own (tombstoned) documents until they are gone. Only while the instruction is being
 * accepted does it hold the ids still to tombstone, so that a crash in the middle of it
 * leaves the rest to do, not a subject half in and half out of the erasure.
 */
export interface StoredErasure extends Erasure {
  type: 'erasure';
  municipalityId: string;
  subjectDigests: string[];
  /**
   * Keyed digests of what else names the subjects (an import's sourcedId, a login identity),
   * so a roster import does not bring them back under another id. None on records from before.
   */
  keyDigests?: string[];
  tombstonesPending?: string[];
  /** The name sweep's working state, names included: removed when the erasure completes. */
  nameSweep?: NameSweepState;
}

/**
 * Where the name sweep is: first every free-text provider is paged through replacing
 * mentions, then every one again only counting them; a mention the second pass finds fails
 * the erasure (and a resumed run sweeps again from the start).
 */
export interface NameSweepState {
  /** Captured from the subjects' own documents at acceptance, before anything of theirs is erased. */
  subjects: NamedSubject[];
  phase: 'redact' | 'verify' | 'done';
  /** Position in the registry's list of providers that sweep free text. */
  provider: number;
  cursor: string | null;
  /** Mentions the verification pass found. */
  remaining: number;
}
