import type { Container } from '@azure/cosmos';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { readTyped } from '../data/documents.js';
import { problems } from '../http/problem.js';
import type { Page } from '../paging/continuation.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import { queryPage, type PageRequest } from '../paging/query-page.js';
import { ACTIVE_STATUSES, type StoredRosterImport } from './roster-import-model.js';

const LOCK_ID = 'roster-import-lock';

/** Which run holds the municipality's import; there is at most one at a time. */
interface ImportLock {
  id: typeof LOCK_ID;
  type: 'roster-import-lock';
  municipalityId: string;
  runId: string;
}

/**
 * Import runs and the municipality's import lock, in the municipality's partition of the
 * directory (the data they change lives there too). The lock is one document whose ETag
 * lets one of two concurrent starts through; a lock left by a run that has finished (or
 * failed) is taken over.
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
    return (await readTyped<StoredRosterImport>(this.directory, id, [['municipalityId', municipalityId]], 'roster-import'))?.value;
  }

  async get(municipalityId: string, id: string): Promise<StoredRosterImport> {
    const run = await this.find(municipalityId, id);
    if (!run) throw problems.notFound();
    return run;
  }

  list(municipalityId: string, page: PageRequest): Promise<Page<StoredRosterImport>> {
    return queryPage(this.continuations, this.directory, { where: "c.type = 'roster-import'", orderBy: 'c.createdAt DESC' }, [['municipalityId', municipalityId]], page);
  }

  async save(run: StoredRosterImport): Promise<void> {
    await this.directory.item(run.id, run.municipalityId).replace(run);
  }

  /** Takes the municipality's lock for `runId`, or 409 while another run holds it. */
  async lock(municipalityId: string, runId: string): Promise<void> {
    const held = await readTyped<ImportLock>(this.directory, LOCK_ID, [['municipalityId', municipalityId]], 'roster-import-lock');
    if (held && held.value.runId !== runId) {
      const holder = await this.find(municipalityId, held.value.runId);
      if (holder && ACTIVE_STATUSES.includes(holder.status)) throw busy();
    }
    const lock: ImportLock = { id: LOCK_ID, type: 'roster-import-lock', municipalityId, runId };
    try {
      if (held) await this.directory.item(LOCK_ID, municipalityId).replace(lock, { accessCondition: { type: 'IfMatch', condition: held.etag } });
      else await this.directory.items.create(lock);
    } catch (error) {
      if (isCosmosStatus(error, 409) || isCosmosStatus(error, 412)) throw busy();
      throw error;
    }
  }

  /** Frees the lock if `runId` still holds it. */
  async unlock(municipalityId: string, runId: string): Promise<void> {
    const held = await readTyped<ImportLock>(this.directory, LOCK_ID, [['municipalityId', municipalityId]], 'roster-import-lock');
    if (held?.value.runId !== runId) return;
    try {
      await this.directory.item(LOCK_ID, municipalityId).delete({ accessCondition: { type: 'IfMatch', condition: held.etag } });
    } catch (error) {
      if (!isCosmosStatus(error, 404) && !isCosmosStatus(error, 412)) throw error;
    }
  }
}

function busy() {
  return problems.conflict('Another roster import is running for this municipality; wait for it to finish');
}
