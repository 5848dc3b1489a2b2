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
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import { queryAll, queryPage, type PageRequest } from '../paging/query-page.js';
import type { PrivacyRegistry, PrivacySubject } from '../privacy/privacy-provider.js';
import { MAX_SUBJECTS_PER_INSTRUCTION, type StoredErasure } from './erasure-model.js';
import { erasedSubjectsOf, erasureDigest, subjectKeys, type ErasedSubjects, type ErasureDigests } from './erased-subjects.js';
import type { ErasureOutbox } from './erasure-outbox.js';
import { erasedActorPseudonym } from '../audit/audit-actor.js';
import { namePhrases, type NamedSubject } from '../privacy/name-mentions.js';
import { startingSweep, sweepNamesPage } from './name-sweep.js';

export interface ErasureInstruction {
  municipalityId: string;
  subjectType: 'student' | 'user';
  subjectIds?: readonly string[];
  filter?: { status: 'leaver'; leftBefore: string };
  instructionReference: string;
  requestedBy: string | null;
}

/** Runs accepted erasures as a Durable orchestration (locally on the local durable driver). */
export interface ErasureRunner {
  /** Starts the erasure's orchestration unless it is already pending or running; true if it started one. */
  schedule(municipalityId: string, erasureId: string): Promise<boolean>;
}

export interface ErasureServiceDependencies {
  directory: Container;
  outbox: ErasureOutbox;
  registry: PrivacyRegistry;
  digestKey: string;
  continuations: ContinuationSealer;
  clock: Clock;
  logger: Logger;
  /** How long after acceptance an unfinished erasure is overdue. */
  overdueAfterMs: number;
  /** Called once a subject is tombstoned: drops cached sign-ins so the person is refused at once. */
  onTombstoned?: (subject: SubjectDocument) => void;
}

export interface ErasureBatchResult {
  erased: number;
  failed: number;
  more: boolean;
  /** Nobody was tried: a provider's write from before the acceptance may still land (the resume timer starts the erasure again). */
  waiting?: boolean;
}

/** Subjects per batch: each is a few dozen Cosmos operations, well inside an activity's time. */
export const ERASURE_BATCH_SIZE = 20;

/** How long a batch waits for providers' writes in flight (an import's batch takes seconds), and how often it looks. */
const WRITES_IN_FLIGHT_WAIT_MS = 60_000;
const WRITES_IN_FLIGHT_POLL_MS = 1_000;

export type SubjectDocument = (StoredStudent | StoredUser) & { erasureId?: string };

const SUBJECT_DOCUMENT_ORDER = 100;

/**
 * Erasure per the controller's instruction (P3, P16). Accepting an instruction tombstones
 * every subject at once, so from the 2xx on they are gone for every reader; the work then
 * runs provider by provider, each step idempotent, and a subject's own document is
 * deleted only after a verification pass over every provider found nothing left.
 *
 * Nothing between acceptance and completion depends on one process staying alive: the
 * outbox entry is written first, the record keeps the ids still to tombstone until they
 * are, and the resume timer (erasure-resume.ts) starts the orchestration of every accepted
 * erasure that is not running, until it completes.
 */
export class ErasureService {
  private readonly directory: Container;
  private readonly outbox: ErasureOutbox;
  private readonly registry: PrivacyRegistry;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly onTombstoned: (subject: SubjectDocument) => void;

  constructor(private readonly deps: ErasureServiceDependencies) {
    ({ directory: this.directory, outbox: this.outbox, registry: this.registry, clock: this.clock, logger: this.logger } = deps);
    this.onTombstoned = deps.onTombstoned ?? (() => undefined);
  }

  digestOf(municipalityId: string, subjectType: string, subjectId: string): string {
    return erasureDigest(this.deps.digestKey, municipalityId, subjectType, subjectId);
  }

  /**
   * Whether an instruction of the municipality covers a person (under way or completed): a
   * test by their id, the school system's sourcedId or their login identity, from the
   * records' digests alone (never the names a running sweep holds). The roster import does not
   * create such a person again, neither under the id the erasure recorded nor under the id it
   * derives from their sourcedId (a staff user registered through the API and linked by an
   * import has a random id): a repeated instruction would answer with the completed erasure
   * and leave them. `since`: only instructions accepted from then on (an import applying a
   * plan made earlier).
   */
  async erasedSubjects(municipalityId: string, since?: string): Promise<ErasedSubjects> {
    return erasedSubjectsOf(this.deps.digestKey, await this.erasureDigests(municipalityId, since));
  }

  /** The digests `erasedSubjects` tests against, as data (for a worker thread, which tests them with `erasedSubjectsOf` under the same key). */
  async erasureDigests(municipalityId: string, since?: string): Promise<ErasureDigests> {
    const records = await queryAll<{ subjectDigests: string[]; keyDigests?: string[] }>(
      this.directory,
      {
        select: 'c.subjectDigests, c.keyDigests',
        where: `c.type = 'erasure'${since === undefined ? '' : ' AND c.createdAt >= @since'}`,
        parameters: since === undefined ? [] : [{ name: '@since', value: since }],
      },
      [['municipalityId', municipalityId]],
    );
    return { municipalityId, digests: [...new Set(records.flatMap((record) => [...record.subjectDigests, ...(record.keyDigests ?? [])]))] };
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
   * The outbox entry first (the accepted work, findable by the resume timer), then the
   * record with the ids still to tombstone, then the tombstones. A crash anywhere leaves
   * the rest to `completeAcceptance`, which the orchestration's first batch runs.
   */
  async accept(instruction: ErasureInstruction): Promise<StoredErasure> {
    const { municipalityId, subjectType } = instruction;
    const selected = instruction.subjectIds ? [...instruction.subjectIds] : await this.selectByFilter(instruction);
    if (selected.length > MAX_SUBJECTS_PER_INSTRUCTION) {
      throw problems.validation([{ field: 'body/filter', message: `selects more than ${MAX_SUBJECTS_PER_INSTRUCTION} students; narrow it` }]);
    }
    const ids: string[] = [];
    const keyDigests: string[] = [];
    // Names are captured here, before anything of the subjects is erased: the name sweep needs them after their documents are gone.
    const named: NamedSubject[] = [];
    for (const id of selected) {
      const subject = await this.readSubject(municipalityId, subjectType, id);
      if (!subject) continue;
      ids.push(id);
      for (const key of subjectKeys(subject.value).slice(1)) keyDigests.push(this.digestOf(municipalityId, subjectType, key));
      named.push({ kind: subjectType, phrases: namePhrases(subject.value) });
    }
    if (instruction.subjectIds && ids.length === 0) throw problems.notFound();
    const now = this.clock.now();
    const deadline = new Date(now.getTime() + this.deps.overdueAfterMs).toISOString();
    const erasure: StoredErasure = {
      id: randomUUID(),
      type: 'erasure',
      municipalityId,
      subjectType,
      instructionReference: instruction.instructionReference,
      requestedBy: instruction.requestedBy,
      status: ids.length === 0 ? 'completed' : 'pending',
      counts: { subjects: ids.length, completed: 0, failed: 0 },
      subjectDigests: ids.map((id) => this.digestOf(municipalityId, subjectType, id)),
      keyDigests,
      tombstonesPending: ids,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      finishedAt: ids.length === 0 ? now.toISOString() : null,
      deadline,
      overdue: false,
      auditPseudonyms: subjectType === 'user' ? ids.map((id) => erasedActorPseudonym(this.deps.digestKey, municipalityId, id)) : [],
      redactions: {},
      ...(ids.length > 0 ? { nameSweep: startingSweep(named) } : {}),
    };
    if (ids.length > 0) await this.outbox.add({ id: erasure.id, municipalityId, acceptedAt: erasure.createdAt, deadline });
    await this.directory.items.create(erasure);
    return this.completeAcceptance(erasure);
  }

  /**
   * Tombstones the subjects the acceptance had not reached yet and tells the providers that
   * need to know (a clock that runs from the deletion), then forgets their ids. Idempotent.
   */
  async completeAcceptance(erasure: StoredErasure): Promise<StoredErasure> {
    const pending = erasure.tombstonesPending ?? [];
    if (pending.length === 0) return erasure;
    for (const id of pending) await this.tombstone(erasure.municipalityId, erasure.subjectType, id, erasure.id);
    const providers = this.registry.for(erasure.subjectType).filter((provider) => provider.accepted);
    for (const id of pending) {
      for (const provider of providers) await provider.accepted?.({ municipalityId: erasure.municipalityId, type: erasure.subjectType, id, acceptedAt: erasure.createdAt });
    }
    const { tombstonesPending: _done, ...accepted } = erasure;
    return this.update(accepted as StoredErasure, {});
  }

  /**
   * A repeated instruction for a subject an unfinished erasure covers: tombstone it again
   * if the first attempt never did, make sure the outbox has it, and let the caller
   * schedule the erasure once more.
   */
  async resume(erasure: StoredErasure, subjectId: string): Promise<StoredErasure> {
    const deadline = erasure.deadline ?? new Date(this.clock.now().getTime() + this.deps.overdueAfterMs).toISOString();
    await this.outbox.add({ id: erasure.id, municipalityId: erasure.municipalityId, acceptedAt: erasure.createdAt, deadline });
    await this.tombstone(erasure.municipalityId, erasure.subjectType, subjectId, erasure.id);
    if (erasure.status === 'failed') return this.update(erasure, { status: 'pending', finishedAt: null });
    return erasure;
  }

  private readSubject(municipalityId: string, subjectType: 'student' | 'user', id: string) {
    return readTyped<SubjectDocument>(this.directory, id, [['municipalityId', municipalityId]], subjectType);
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
    const subject = await this.readSubject(municipalityId, subjectType, id);
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
    const found = await this.find(municipalityId, id);
    if (!found) throw problems.notFound();
    return found;
  }

  find(municipalityId: string, id: string): Promise<Versioned<StoredErasure> | undefined> {
    return readTyped<StoredErasure>(this.directory, id, [['municipalityId', municipalityId]], 'erasure');
  }

  list(municipalityId: string, page: PageRequest): Promise<Page<StoredErasure>> {
    return queryPage(this.deps.continuations, this.directory, { where: "c.type = 'erasure'", orderBy: 'c.createdAt DESC' }, [['municipalityId', municipalityId]], page);
  }

  /** Subjects of an erasure that still exist (tombstoned), found through their documents. */
  private pending(municipalityId: string, erasureId: string): Promise<SubjectDocument[]> {
    return queryAll<SubjectDocument>(
      this.directory,
      { where: 'c.erasureId = @erasure', parameters: [{ name: '@erasure', value: erasureId }] },
      [['municipalityId', municipalityId]],
    );
  }

  /**
   * Erases up to `limit` of the erasure's remaining subjects; safe to run again after a
   * crash or alongside a retry. `more` says whether subjects remain that were not tried.
   */
  async processBatch(municipalityId: string, erasureId: string, limit = ERASURE_BATCH_SIZE): Promise<ErasureBatchResult> {
    const erasure = await this.completeAcceptance((await this.get(municipalityId, erasureId)).value);
    if (erasure.status === 'completed') return { erased: 0, failed: 0, more: false };
    if (erasure.status !== 'running') await this.update(erasure, { status: 'running' });
    if (!(await this.writesLanded(municipalityId, erasure))) return { erased: 0, failed: 0, more: true, waiting: true };
    const pending = await this.pending(municipalityId, erasureId);
    let erased = 0;
    let failed = 0;
    for (const document of pending.slice(0, limit)) {
      const subject: PrivacySubject = {
        municipalityId,
        type: erasure.subjectType,
        id: document.id,
        since: document.createdAt,
        acceptedAt: erasure.createdAt,
        ...('identity' in document ? { identity: document.identity } : {}),
      };
      try {
        const leftovers = await this.eraseSubject(subject);
        if (leftovers.length === 0) erased += 1;
        else {
          failed += 1;
          this.logger.error('erasure-verification-failed', { erasureId, leftovers: leftovers.length });
        }
      } catch (error) {
        failed += 1;
        this.logger.error('erasure-step-failed', { erasureId, error: error instanceof Error ? error.name : 'unknown' });
      }
    }
    if (erased > 0) {
      const current = (await this.get(municipalityId, erasureId)).value;
      await this.update(current, { counts: { ...current.counts, completed: current.counts.completed + erased } });
    }
    return { erased, failed, more: pending.length > limit };
  }

  /**
   * Whether every provider's write that may name the subjects again, and whose check of the
   * erasures may have missed this one, has landed (waiting up to a minute): erased and
   * verified before it lands, a subject would be named again by it (a group an import creates).
   */
  private async writesLanded(municipalityId: string, erasure: StoredErasure): Promise<boolean> {
    const providers = this.registry.for(erasure.subjectType).filter((provider) => provider.writesInFlight);
    const deadline = this.clock.now().getTime() + WRITES_IN_FLIGHT_WAIT_MS;
    for (;;) {
      const inFlight = await Promise.all(providers.map((provider) => provider.writesInFlight?.(municipalityId, erasure.createdAt)));
      if (!inFlight.includes(true)) return true;
      if (this.clock.now().getTime() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, WRITES_IN_FLIGHT_POLL_MS));
    }
  }

  /**
   * One bounded page of the name sweep (lib/erasure/name-sweep.ts), its progress and the
   * redactions it counted stored on the record; `more` until both passes are through.
   */
  async sweepNames(municipalityId: string, erasureId: string): Promise<{ scanned: number; more: boolean }> {
    const erasure = await this.completeAcceptance((await this.get(municipalityId, erasureId)).value);
    if (erasure.status === 'completed' || !erasure.nameSweep || erasure.nameSweep.phase === 'done') return { scanned: 0, more: false };
    const running = erasure.status === 'running' ? erasure : await this.update(erasure, { status: 'running' });
    const step = await sweepNamesPage(this.registry, running);
    const redactions = { ...(running.redactions ?? {}) };
    for (const [provider, count] of Object.entries(step.redacted)) redactions[provider] = (redactions[provider] ?? 0) + count;
    await this.update(running, { ...(step.state ? { nameSweep: step.state } : {}), redactions });
    if (step.state?.phase === 'done' && step.state.remaining > 0) this.logger.error('erasure-name-sweep-verification-failed', { erasureId, mentions: step.state.remaining });
    return { scanned: step.scanned, more: step.more };
  }

  /**
   * Settles the status: completed only when every subject of the instruction was erased and
   * verified and the name sweep found no mention left; anything else (a subject still
   * tombstoned, one never tombstoned, a mention) is failed. Completing drops the names.
   */
  async finalise(municipalityId: string, erasureId: string): Promise<StoredErasure> {
    const erasure = (await this.get(municipalityId, erasureId)).value;
    if (erasure.status === 'completed') {
      await this.outbox.remove(erasureId);
      return erasure;
    }
    const remaining = (await this.pending(municipalityId, erasureId)).length;
    const { nameSweep, ...withoutNames } = erasure;
    const swept = !nameSweep || (nameSweep.phase === 'done' && nameSweep.remaining === 0);
    const done = remaining === 0 && erasure.counts.completed >= erasure.counts.subjects && swept;
    // A failed erasure sweeps again from the start when it is resumed.
    const kept: StoredErasure = done || !nameSweep ? withoutNames : { ...withoutNames, nameSweep: { ...nameSweep, phase: 'redact', provider: 0, cursor: null, remaining: 0 } };
    const settled = await this.update(kept, {
      status: done ? 'completed' : 'failed',
      counts: { ...erasure.counts, failed: erasure.counts.subjects - erasure.counts.completed },
      finishedAt: this.clock.now().toISOString(),
    });
    // A failed erasure stays in the outbox: the resume timer runs it again until it completes.
    if (done) await this.outbox.remove(erasureId);
    return settled;
  }

  /** Flags the erasure overdue on its record (once); false if it already was. */
  async markOverdue(erasure: StoredErasure): Promise<boolean> {
    if (erasure.overdue || erasure.status === 'completed') return false;
    // A patch of the flag alone: a replace of the copy read here could put back a state the
    // orchestration has moved past (its name phrases, `running`) after it completed.
    await this.directory.item(erasure.id, erasure.municipalityId).patch([
      { op: 'set', path: '/overdue', value: true },
      { op: 'set', path: '/updatedAt', value: this.clock.now().toISOString() },
    ]);
    return true;
  }

  /** The accepted erasures not completed yet (the outbox), for the resume timer. */
  unfinished() {
    return this.outbox.list();
  }

  /** An outbox entry whose erasure record never got written (the acceptance died first) or has completed. */
  async dropFromOutbox(erasureId: string): Promise<void> {
    await this.outbox.remove(erasureId);
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
}
