import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { Clock } from '../clock.js';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { readTyped, type Versioned } from '../data/documents.js';
import type { StoredStudent } from '../directory/students.js';
import type { StoredUser } from '../directory/users.js';
import { problems } from '../http/problem.js';
import type { Logger } from '../logger.js';
import type { Page } from '../paging/continuation.js';
import { queryAll, queryPage, type PageRequest } from '../paging/query-page.js';
import { keyedDigest } from '../privacy/keyed-digest.js';
import type { PrivacyRegistry, PrivacySubject } from '../privacy/privacy-provider.js';
import { MAX_SUBJECTS_PER_INSTRUCTION, type StoredErasure } from './erasure-model.js';

export interface ErasureInstruction {
  municipalityId: string;
  subjectType: 'student' | 'user';
  subjectIds?: readonly string[];
  filter?: { status: 'leaver'; leftBefore: string };
  instructionReference: string;
  requestedBy: string | null;
}

/** Runs accepted erasures: in Azure a Durable orchestration, locally the same work in process. */
export interface ErasureRunner {
  schedule(municipalityId: string, erasureId: string): Promise<void>;
}

export type SubjectDocument = (StoredStudent | StoredUser) & { erasureId?: string };

const SUBJECT_DOCUMENT_ORDER = 100;

/**
 * Erasure per the controller's instruction (P3, P16). Accepting an instruction tombstones
 * every subject at once, so from the 2xx on they are gone for every reader; the work then
 * runs provider by provider, each step idempotent, and a subject's own document is
 * deleted only after a verification pass over every provider found nothing left.
 */
export class ErasureService {
  constructor(
    private readonly directory: Container,
    private readonly registry: PrivacyRegistry,
    private readonly digestKey: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Called once a subject is tombstoned: drops cached sign-ins so the person is refused at once. */
    private readonly onTombstoned: (subject: SubjectDocument) => void = () => undefined,
  ) {}

  digestOf(municipalityId: string, subjectType: string, subjectId: string): string {
    return keyedDigest(this.digestKey, `erasure:${municipalityId}:${subjectType}:${subjectId}`);
  }

  /** An earlier instruction that already covered this subject, if any. */
  async findCovering(municipalityId: string, subjectType: 'student' | 'user', subjectId: string): Promise<StoredErasure | undefined> {
    const [found] = await queryAll<StoredErasure>(
      this.directory,
      { where: "c.type = 'erasure' AND ARRAY_CONTAINS(c.subjectDigests, @digest)", parameters: [{ name: '@digest', value: this.digestOf(municipalityId, subjectType, subjectId) }] },
      [['municipalityId', municipalityId]],
    );
    return found;
  }

  /**
   * Tombstones first, record second: a crash in between leaves tombstoned subjects that
   * `recover` finds and finishes, never a record that reports work it did not do.
   */
  async accept(instruction: ErasureInstruction): Promise<StoredErasure> {
    const { municipalityId, subjectType } = instruction;
    const ids = instruction.subjectIds ? [...instruction.subjectIds] : await this.selectByFilter(instruction);
    if (ids.length > MAX_SUBJECTS_PER_INSTRUCTION) {
      throw problems.validation([{ field: 'body/filter', message: `selects more than ${MAX_SUBJECTS_PER_INSTRUCTION} students; narrow it` }]);
    }
    const erasureId = randomUUID();
    const tombstoned: string[] = [];
    for (const id of ids) {
      if (await this.tombstone(municipalityId, subjectType, id, erasureId)) tombstoned.push(id);
    }
    if (instruction.subjectIds && tombstoned.length === 0) throw problems.notFound();
    const now = this.clock.now().toISOString();
    const erasure: StoredErasure = {
      id: erasureId,
      type: 'erasure',
      municipalityId,
      subjectType,
      instructionReference: instruction.instructionReference,
      requestedBy: instruction.requestedBy,
      status: tombstoned.length === 0 ? 'completed' : 'pending',
      counts: { subjects: tombstoned.length, completed: 0, failed: 0 },
      subjectDigests: tombstoned.map((id) => this.digestOf(municipalityId, subjectType, id)),
      createdAt: now,
      updatedAt: now,
      finishedAt: tombstoned.length === 0 ? now : null,
    };
    await this.directory.items.create(erasure);
    return erasure;
  }

  private async selectByFilter(instruction: ErasureInstruction): Promise<string[]> {
    const filter = instruction.filter;
    if (!filter) return [];
    const rows = await queryAll<{ id: string }>(
      this.directory,
      {
        select: 'c.id',
        where: "c.type = 'student' AND NOT IS_DEFINED(c.erasureId) AND c.status = @status AND c.leftAt < @before",
        parameters: [{ name: '@status', value: filter.status }, { name: '@before', value: filter.leftBefore }],
      },
      [['municipalityId', instruction.municipalityId]],
    );
    return rows.map((row) => row.id);
  }

  private async tombstone(municipalityId: string, subjectType: 'student' | 'user', id: string, erasureId: string): Promise<boolean> {
    const subject = await readTyped<SubjectDocument>(this.directory, id, [['municipalityId', municipalityId]], subjectType);
    if (!subject) return false;
    try {
      // Real Cosmos DB refuses (412) a second tombstone; the emulator ignores the condition,
      // which the read above covers for every case but a race.
      await this.directory.item(id, municipalityId).patch({
        condition: 'from c where NOT IS_DEFINED(c.erasureId)',
        operations: [{ op: 'set', path: '/erasureId', value: erasureId }],
      });
      this.onTombstoned(subject.value);
      return true;
    } catch (error) {
      if (isCosmosStatus(error, 412) || isCosmosStatus(error, 404)) return false;
      throw error;
    }
  }

  async get(municipalityId: string, id: string): Promise<Versioned<StoredErasure>> {
    const found = await readTyped<StoredErasure>(this.directory, id, [['municipalityId', municipalityId]], 'erasure');
    if (!found) throw problems.notFound();
    return found;
  }

  list(municipalityId: string, page: PageRequest): Promise<Page<StoredErasure>> {
    return queryPage(this.directory, { where: "c.type = 'erasure'", orderBy: 'c.createdAt DESC' }, [['municipalityId', municipalityId]], page);
  }

  /** Subjects of an erasure that still exist (tombstoned), found through their documents. */
  private pending(municipalityId: string, erasureId: string): Promise<SubjectDocument[]> {
    return queryAll<SubjectDocument>(
      this.directory,
      { where: 'c.erasureId = @erasure', parameters: [{ name: '@erasure', value: erasureId }] },
      [['municipalityId', municipalityId]],
    );
  }

  /** Does the work of one erasure; safe to run again after a crash or alongside a retry. */
  async process(municipalityId: string, erasureId: string): Promise<StoredErasure> {
    let erasure = (await this.get(municipalityId, erasureId)).value;
    if (erasure.status === 'completed') return erasure;
    erasure = await this.update(erasure, { status: 'running' });
    let failed = 0;
    for (const document of await this.pending(municipalityId, erasureId)) {
      const subject: PrivacySubject = {
        municipalityId,
        type: erasure.subjectType,
        id: document.id,
        since: document.createdAt,
        ...('identity' in document ? { identity: document.identity } : {}),
      };
      try {
        const leftovers = await this.eraseSubject(subject);
        if (leftovers.length > 0) {
          failed += 1;
          this.logger.error('erasure-verification-failed', { erasureId, leftovers: leftovers.length });
        }
      } catch (error) {
        failed += 1;
        this.logger.error('erasure-step-failed', { erasureId, error: error instanceof Error ? error.name : 'unknown' });
      }
    }
    const remaining = (await this.pending(municipalityId, erasureId)).length;
    const done = remaining === 0;
    return this.update(erasure, {
      status: done ? 'completed' : 'failed',
      counts: { subjects: erasure.counts.subjects, completed: erasure.counts.subjects - remaining, failed: done ? 0 : Math.max(failed, remaining) },
      finishedAt: this.clock.now().toISOString(),
    });
  }

  /**
   * Every provider but the subject's own document first; then a verification pass over
   * them; only a clean pass lets the subject's document go, and it is checked too.
   */
  private async eraseSubject(subject: PrivacySubject): Promise<string[]> {
    const providers = this.registry.for(subject.type);
    const dependents = providers.filter((provider) => (provider.order ?? 50) < SUBJECT_DOCUMENT_ORDER);
    const owners = providers.filter((provider) => (provider.order ?? 50) >= SUBJECT_DOCUMENT_ORDER);
    for (const provider of dependents) await provider.erase(subject);
    const leftovers = (await Promise.all(dependents.map((provider) => provider.verify(subject)))).flat();
    if (leftovers.length > 0) return leftovers;
    for (const provider of owners) await provider.erase(subject);
    return (await Promise.all(owners.map((provider) => provider.verify(subject)))).flat();
  }

  private async update(erasure: StoredErasure, changes: Partial<StoredErasure>): Promise<StoredErasure> {
    const next: StoredErasure = { ...erasure, ...changes, updatedAt: this.clock.now().toISOString() };
    const { resource } = await this.directory.item(erasure.id, erasure.municipalityId).replace(next);
    return resource ?? next;
  }

  /**
   * Finds subjects tombstoned without a finished erasure (a crash, a lost run) and finishes
   * them. Used by the resume job; a tombstone whose record was never written gets one.
   */
  async recover(municipalityId: string): Promise<string[]> {
    const open = await queryAll<{ erasureId: string; type: 'student' | 'user'; id: string }>(
      this.directory,
      { select: 'c.erasureId, c.type, c.id', where: "IS_DEFINED(c.erasureId) AND c.type IN ('student', 'user')" },
      [['municipalityId', municipalityId]],
    );
    const byErasure = new Map<string, { type: 'student' | 'user'; ids: string[] }>();
    for (const row of open) {
      const entry = byErasure.get(row.erasureId) ?? { type: row.type, ids: [] };
      entry.ids.push(row.id);
      byErasure.set(row.erasureId, entry);
    }
    const resumed: string[] = [];
    for (const [erasureId, { type, ids }] of byErasure) {
      const existing = await readTyped<StoredErasure>(this.directory, erasureId, [['municipalityId', municipalityId]], 'erasure');
      if (!existing) await this.recreateRecord(municipalityId, erasureId, type, ids);
      await this.process(municipalityId, erasureId);
      resumed.push(erasureId);
    }
    return resumed;
  }

  private async recreateRecord(municipalityId: string, erasureId: string, subjectType: 'student' | 'user', ids: string[]): Promise<void> {
    const now = this.clock.now().toISOString();
    const erasure: StoredErasure = {
      id: erasureId,
      type: 'erasure',
      municipalityId,
      subjectType,
      instructionReference: 'recovered-after-interruption',
      requestedBy: null,
      status: 'pending',
      counts: { subjects: ids.length, completed: 0, failed: 0 },
      subjectDigests: ids.map((id) => this.digestOf(municipalityId, subjectType, id)),
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    try {
      await this.directory.items.create(erasure);
    } catch (error) {
      if (!isCosmosStatus(error, 409)) throw error;
    }
  }
}
