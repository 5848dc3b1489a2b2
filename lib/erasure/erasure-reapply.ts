import type { Container } from '@azure/cosmos';
import type { Logger } from '../logger.js';
import { queryAll } from '../paging/query-page.js';
import type { MunicipalityRegistry } from '../platform/municipalities.js';
import { MAX_SUBJECTS_PER_INSTRUCTION, type StoredErasure } from './erasure-model.js';
import type { ErasureService } from './erasure-service.js';

const SUBJECT_TYPES = ['student', 'user'] as const;

/** What re-applying did in one municipality: counts and the new erasures' ids, never a subject. */
export interface ReapplyResult {
  /** Erasure records accepted at or after the restore point. */
  erasures: number;
  /** Subjects the restore brought back that one of them had erased. */
  subjects: number;
  /** Erasures accepted again for those subjects (one per earlier record, per 2,000 subjects). */
  accepted: string[];
}

export interface ErasureReapplyDependencies {
  directory: Container;
  erasures: ErasureService;
  municipalities: MunicipalityRegistry;
  logger: Logger;
}

/**
 * After a point-in-time restore (docs/operations.md, "Restore from a backup"): every erasure
 * accepted at or after the restore point is applied again to the restored data, since the
 * restore brought its subjects back. The source is the erasure records (copied into the
 * restored account by the runbook: they name nobody) and their keyed digests: a subject of
 * the municipality whose digest one of them holds is erased again, under a new erasure with
 * the same instruction reference, through every provider, verified, like any other.
 * Accepting is this run's part: the subjects are tombstoned (gone for every reader) at once,
 * and the erasure-resume timer starts each accepted erasure from the outbox within 5 minutes
 * (activities hold no durable client to start orchestrations themselves).
 *
 * Finding them costs one read of the subject ids per municipality and type, a rare operator
 * run's price. Subjects already tombstoned are left to the erasure that holds them (the
 * resume timer), so running this twice accepts nothing the second time.
 */
/**
 * How far before the restore point the re-apply (and the runbook's copy) reaches back. An
 * erasure takes its `createdAt` before its record is written, so one accepted moments before
 * the restore point can be missing from the restored data although it is dated before it.
 */
export const RESTORE_MARGIN_MS = 10 * 60_000;

export function reapplyWindowStart(restoredTo: string): string {
  return new Date(Date.parse(restoredTo) - RESTORE_MARGIN_MS).toISOString();
}

export class ErasureReapply {
  constructor(private readonly deps: ErasureReapplyDependencies) {}

  municipalities(): Promise<string[]> {
    return this.deps.municipalities.ids();
  }

  async reapply(municipalityId: string, restoredTo: string): Promise<ReapplyResult> {
    const { directory, erasures } = this.deps;
    const records = await queryAll<StoredErasure>(
      directory,
      { where: "c.type = 'erasure' AND c.createdAt >= @since", parameters: [{ name: '@since', value: reapplyWindowStart(restoredTo) }] },
      [['municipalityId', municipalityId]],
    );
    const result: ReapplyResult = { erasures: records.length, subjects: 0, accepted: [] };
    for (const subjectType of SUBJECT_TYPES) {
      const byDigest = new Map<string, StoredErasure>();
      for (const record of records) if (record.subjectType === subjectType) for (const digest of record.subjectDigests) byDigest.set(digest, record);
      if (byDigest.size === 0) continue;
      const matches = new Map<StoredErasure, string[]>();
      for (const id of await this.liveSubjects(municipalityId, subjectType)) {
        const record = byDigest.get(erasures.digestOf(municipalityId, subjectType, id));
        if (record) matches.set(record, [...(matches.get(record) ?? []), id]);
      }
      for (const [record, ids] of matches) {
        result.subjects += ids.length;
        for (let start = 0; start < ids.length; start += MAX_SUBJECTS_PER_INSTRUCTION) {
          const erasure = await erasures.accept({
            municipalityId,
            subjectType,
            subjectIds: ids.slice(start, start + MAX_SUBJECTS_PER_INSTRUCTION),
            instructionReference: record.instructionReference,
            requestedBy: null,
          });
          result.accepted.push(erasure.id);
        }
      }
    }
    if (result.subjects > 0) this.deps.logger.info('erasures-reapplied', { municipalityId, erasures: result.erasures, subjects: result.subjects, accepted: result.accepted.length });
    return result;
  }

  /** Ids of the municipality's subjects of one type that no erasure has tombstoned. */
  private async liveSubjects(municipalityId: string, subjectType: 'student' | 'user'): Promise<string[]> {
    const rows = await queryAll<{ id: string }>(
      this.deps.directory,
      { select: 'c.id', where: 'c.type = @type AND NOT IS_DEFINED(c.erasureId)', parameters: [{ name: '@type', value: subjectType }] },
      [['municipalityId', municipalityId]],
    );
    return rows.map((row) => row.id);
  }
}
