import type { Container } from '@azure/cosmos';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { readTyped, type Versioned } from '../data/documents.js';
import { problems } from '../http/problem.js';
import type { Page } from '../paging/continuation.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import { queryAll, queryPage, type PageRequest } from '../paging/query-page.js';
import { ACTIVE_STATUSES, type StoredRosterImport } from './roster-import-model.js';
import { ROSTER_LIMITS } from './roster-limits.js';

const LOCK_ID = 'roster-import-lock';
/** A conditional write that keeps losing to other writers gives up (the activity's retry takes over). */
const WRITE_ATTEMPTS = 10;

/** Which run holds the municipality's import, and when it last showed progress. */
interface ImportLock {
  id: typeof LOCK_ID;
  type: 'roster-import-lock';
  municipalityId: string;
  runId: string;
  /**
   * Set when taken and at every step of the run (`renew`); older than `staleLockMinutes` means the
   * holder is gone. Absent on a lock taken before the heartbeat existed.
   */
  heartbeatAt?: string;
}

/** What a progress write changes, computed from the run as stored; undefined writes nothing. */
export type RunChange = (current: StoredRosterImport) => Partial<StoredRosterImport> | undefined;

/**
 * Import runs and the municipality's import lock, in the municipality's partition of the
 * directory (the data they change lives there too). Every write of either is conditional on the
 * ETag read, so a concurrent writer (an erasure patching a run, a racing takeover) is never
 * overwritten from a stale copy: the loser reads again or gives way.
 */
export class RosterRunStore {
  constructor(
    private readonly directory: Container,
    private readonly continuations: ContinuationSealer,
  ) {}

  async create(run: StoredRosterImport): Promise<void> {
    await this.directory.items.create(run);
  }

  async find(municipalityId: string, id: string): Promise<StoredRosterImport | undefined> {
    return (await this.read(municipalityId, id))?.value;
  }

  async get(municipalityId: string, id: string): Promise<StoredRosterImport> {
    const run = await this.find(municipalityId, id);
    if (!run) throw problems.notFound();
    return run;
  }

  list(municipalityId: string, page: PageRequest): Promise<Page<StoredRosterImport>> {
    return queryPage(this.continuations, this.directory, { where: "c.type = 'roster-import'", orderBy: 'c.createdAt DESC' }, [['municipalityId', municipalityId]], page);
  }

  /**
   * Applies `change` to the run as stored, replacing it only if nobody wrote it since it was
   * read (If-Match); on 412 it reads again and recomputes. Answers the run as it now stands.
   */
  async update(municipalityId: string, id: string, change: RunChange): Promise<StoredRosterImport> {
    for (let attempt = 1; ; attempt += 1) {
      const found = await this.read(municipalityId, id);
      if (!found) throw problems.notFound();
      const changes = change(found.value);
      if (!changes) return found.value;
      const next = { ...withoutSystemFields(found.value), ...changes };
      try {
        await this.directory.item(id, municipalityId).replace(next, { accessCondition: { type: 'IfMatch', condition: found.etag } });
        return next;
      } catch (error) {
        if (!isCosmosStatus(error, 412) || attempt >= WRITE_ATTEMPTS) throw error;
      }
    }
  }

  /** Whether a real (not dry) import of the municipality was started after `run`. */
  async newerImport(run: StoredRosterImport): Promise<boolean> {
    const newer = await queryAll<{ id: string }>(
      this.directory,
      { select: 'c.id', where: "c.type = 'roster-import' AND c.dryRun = false AND c.createdAt > @createdAt", parameters: [{ name: '@createdAt', value: run.createdAt }] },
      [['municipalityId', run.municipalityId]],
    );
    return newer.some((found) => found.id !== run.id);
  }

  /**
   * Takes the municipality's lock for `runId`, or 409 while another run holds it. The lock is
   * taken over from a holder that is finished, failed, or has not renewed it for
   * `staleLockMinutes`, or that is not stored and whose lock is as old (a fresh lock of a run
   * not stored yet is a start between taking the lock and creating its run); the write is
   * conditional on the ETag read, so of two racing takeovers one wins and the other answers 409. Answers the id of a still active run whose lock was
   * taken over (the caller ends that run).
   */
  async lock(municipalityId: string, runId: string, now: Date): Promise<string | undefined> {
    const held = await this.readLock(municipalityId);
    let staleHolder: string | undefined;
    if (held && held.value.runId !== runId) {
      const holder = await this.find(municipalityId, held.value.runId);
      const fresh = (lastProgress: string) => now.getTime() - Date.parse(lastProgress) < ROSTER_LIMITS.staleLockMinutes * 60_000;
      if (holder && ACTIVE_STATUSES.includes(holder.status)) {
        // Without a heartbeat, the run's last write is its last sign of life.
        if (fresh(held.value.heartbeatAt ?? holder.updatedAt)) throw busy();
        staleHolder = holder.id;
      }
      // A holder not stored yet may be a start between its lock write and its run's create.
      if (!holder && held.value.heartbeatAt !== undefined && fresh(held.value.heartbeatAt)) throw busy();
    }
    const lock: ImportLock = { id: LOCK_ID, type: 'roster-import-lock', municipalityId, runId, heartbeatAt: now.toISOString() };
    try {
      if (held) await this.directory.item(LOCK_ID, municipalityId).replace(lock, { accessCondition: { type: 'IfMatch', condition: held.etag } });
      else await this.directory.items.create(lock);
    } catch (error) {
      if (isCosmosStatus(error, 409) || isCosmosStatus(error, 412)) throw busy();
      throw error;
    }
    return staleHolder;
  }

  /**
   * The holder's heartbeat: true if `runId` still holds the lock (now renewed), false if another
   * import took it over or it was freed. Conditional like a takeover, so a run that renews has
   * not lost the lock at that moment.
   */
  async renew(municipalityId: string, runId: string, now: Date): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      const held = await this.readLock(municipalityId);
      if (held?.value.runId !== runId) return false;
      const lock: ImportLock = { ...withoutSystemFields(held.value), heartbeatAt: now.toISOString() };
      try {
        await this.directory.item(LOCK_ID, municipalityId).replace(lock, { accessCondition: { type: 'IfMatch', condition: held.etag } });
        return true;
      } catch (error) {
        if (isCosmosStatus(error, 404)) return false;
        if (!isCosmosStatus(error, 412) || attempt >= WRITE_ATTEMPTS) throw error;
      }
    }
  }

  /** Frees the lock if `runId` still holds it. */
  async unlock(municipalityId: string, runId: string): Promise<void> {
    const held = await this.readLock(municipalityId);
    if (held?.value.runId !== runId) return;
    try {
      await this.directory.item(LOCK_ID, municipalityId).delete({ accessCondition: { type: 'IfMatch', condition: held.etag } });
    } catch (error) {
      if (!isCosmosStatus(error, 404) && !isCosmosStatus(error, 412)) throw error;
    }
  }

  private read(municipalityId: string, id: string): Promise<Versioned<StoredRosterImport> | undefined> {
    return readTyped<StoredRosterImport>(this.directory, id, [['municipalityId', municipalityId]], 'roster-import');
  }

  /** Whether another run holds the municipality's lock (a takeover); false when it is free or this run's. */
  async heldByAnother(municipalityId: string, runId: string): Promise<boolean> {
    const held = await this.readLock(municipalityId);
    return held !== undefined && held.value.runId !== runId;
  }

  private readLock(municipalityId: string): Promise<Versioned<ImportLock> | undefined> {
    return readTyped<ImportLock>(this.directory, LOCK_ID, [['municipalityId', municipalityId]], 'roster-import-lock');
  }
}

/** The document without Cosmos DB's own fields, which a replace must not carry back as data. */
function withoutSystemFields<T extends object>(document: T): T {
  const { _rid, _self, _etag, _attachments, _ts, ...value } = document as T & Record<'_rid' | '_self' | '_etag' | '_attachments' | '_ts', unknown>;
  return value as T;
}

function busy() {
  return problems.conflict(`Another roster import is running for this municipality; wait for it to finish (a run that shows no progress for ${ROSTER_LIMITS.staleLockMinutes} minutes is taken over)`);
}
