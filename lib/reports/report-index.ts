import type { Container, PatchOperation, SqlParameter } from '@azure/cosmos';
import { scopeCondition, type Scope } from '../access/scopes.js';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { readTyped, type Versioned } from '../data/documents.js';
import type { Page } from '../paging/continuation.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import { queryAll, queryBatch, queryPage, type PageRequest, type ScopedQuery } from '../paging/query-page.js';
import { addDays } from '../usage/retention-policy.js';
import type { StoredGenerationRun, StoredLeaverReport } from './leaver-report-model.js';

export interface ReportFilter {
  schoolId?: string | undefined;
  schoolYear?: string | undefined;
  runId?: string | undefined;
}

/**
 * The `reports` container (partition `/municipalityId`): report index entries and
 * generation runs. Every query names its municipality's partition; the expiry job finds
 * due entries with a range query on the indexed `expiresAt`/`createdAt`, so its cost follows
 * what is due, not what is stored.
 */
export class ReportIndex {
  constructor(
    readonly container: Container,
    private readonly continuations: ContinuationSealer,
  ) {}

  /** False when the entry exists already (a retried activity). */
  async create(report: StoredLeaverReport): Promise<boolean> {
    try {
      await this.container.items.create(report);
      return true;
    } catch (error) {
      if (isCosmosStatus(error, 409)) return false;
      throw error;
    }
  }

  async find(municipalityId: string, id: string): Promise<StoredLeaverReport | undefined> {
    return (await this.findVersioned(municipalityId, id))?.value;
  }

  async findVersioned(municipalityId: string, id: string): Promise<Versioned<StoredLeaverReport> | undefined> {
    const found = await readTyped<StoredLeaverReport>(this.container, id, [['municipalityId', municipalityId]], 'leaver-report');
    return found && { value: withVersion(found.value), etag: found.etag };
  }

  /** Replaces an entry if it is still as read; false when it changed or went meanwhile (the caller reads again). */
  async replaceIf(entry: StoredLeaverReport, etag: string): Promise<boolean> {
    try {
      await this.container.item(entry.id, entry.municipalityId).replace(entry, { accessCondition: { type: 'IfMatch', condition: etag } });
      return true;
    } catch (error) {
      if (isCosmosStatus(error, 412) || isCosmosStatus(error, 404)) return false;
      throw error;
    }
  }

  /** Deletes an entry if it is still as read; false when it changed meanwhile, true when it is gone. */
  async deleteIf(municipalityId: string, id: string, etag: string): Promise<boolean> {
    try {
      await this.container.item(id, municipalityId).delete({ accessCondition: { type: 'IfMatch', condition: etag } });
      return true;
    } catch (error) {
      if (isCosmosStatus(error, 404)) return true;
      if (isCosmosStatus(error, 412)) return false;
      throw error;
    }
  }

  /** Ready reports visible under `scope` (matched on the school the report was made at) and not past `notDueBefore`. */
  async list(municipalityId: string, scope: Scope, live: LiveWindow, filter: ReportFilter, page: PageRequest): Promise<Page<StoredLeaverReport>> {
    const visible = scopeCondition(scope, 'schoolId');
    const conditions = ["c.type = 'leaver-report'", "c.state = 'ready'", 'c.expiresAt > @now', 'c.createdAt >= @createdFrom', visible.sql];
    const parameters: SqlParameter[] = [...visible.parameters];
    const clockParameters: SqlParameter[] = [
      { name: '@now', value: live.now },
      { name: '@createdFrom', value: live.createdFrom },
    ];
    for (const [field, value] of [['schoolId', filter.schoolId], ['schoolYear', filter.schoolYear], ['runId', filter.runId]] as const) {
      if (value === undefined) continue;
      conditions.push(`c.${field} = @${field}`);
      parameters.push({ name: `@${field}`, value });
    }
    const found = await queryPage<StoredLeaverReport>(this.continuations, this.container, { where: conditions.join(' AND '), parameters, clockParameters, orderBy: 'c.createdAt DESC' }, [['municipalityId', municipalityId]], page);
    return { ...found, items: found.items.map(withVersion) };
  }

  /** Entries whose deadline has come by `due.moment`, at most `limit` (the caller deletes them and asks again). */
  async due(municipalityId: string, due: DueWindow, limit: number): Promise<StoredLeaverReport[]> {
    const page = await queryBatch<StoredLeaverReport>(this.container, dueQuery(due), [['municipalityId', municipalityId]], limit);
    return page.items.map(withVersion);
  }

  async countDue(municipalityId: string, due: DueWindow): Promise<number> {
    const [count] = await queryAll<number>(this.container, { ...dueQuery(due), select: 'VALUE COUNT(1)' }, [['municipalityId', municipalityId]]);
    return count ?? 0;
  }

  /** Entries whose current version was made on one day (UTC), for the repair pass. */
  async createdOn(municipalityId: string, day: string): Promise<StoredLeaverReport[]> {
    const entries = await queryAll<StoredLeaverReport>(
      this.container,
      {
        where: "c.type = 'leaver-report' AND c.createdAt >= @from AND c.createdAt < @to",
        parameters: [{ name: '@from', value: `${day}T00:00:00.000Z` }, { name: '@to', value: `${addDays(day, 1)}T00:00:00.000Z` }],
      },
      [['municipalityId', municipalityId]],
    );
    return entries.map(withVersion);
  }

  async ofStudent(municipalityId: string, studentId: string): Promise<StoredLeaverReport[]> {
    const entries = await queryAll<StoredLeaverReport>(
      this.container,
      { where: "c.type = 'leaver-report' AND c.studentId = @student", parameters: [{ name: '@student', value: studentId }] },
      [['municipalityId', municipalityId]],
    );
    return entries.map(withVersion);
  }

  async countReady(municipalityId: string, runId: string): Promise<number> {
    const [count] = await queryAll<number>(
      this.container,
      { select: 'VALUE COUNT(1)', where: "c.type = 'leaver-report' AND c.runId = @run AND c.state = 'ready'", parameters: [{ name: '@run', value: runId }] },
      [['municipalityId', municipalityId]],
    );
    return count ?? 0;
  }

  async createRun(run: StoredGenerationRun): Promise<void> {
    await this.container.items.create(run);
  }

  findRun(municipalityId: string, runId: string): Promise<Versioned<StoredGenerationRun> | undefined> {
    return readTyped<StoredGenerationRun>(this.container, runId, [['municipalityId', municipalityId]], 'leaver-report-run');
  }

  async patchRun(municipalityId: string, runId: string, operations: PatchOperation[]): Promise<void> {
    await this.container.item(runId, municipalityId).patch(operations);
  }

  runsListing(municipalityId: string, studentId: string): Promise<StoredGenerationRun[]> {
    return queryAll<StoredGenerationRun>(
      this.container,
      { where: "c.type = 'leaver-report-run' AND ARRAY_CONTAINS(c.studentIds, @student)", parameters: [{ name: '@student', value: studentId }] },
      [['municipalityId', municipalityId]],
    );
  }

  runsRequestedBy(municipalityId: string, userId: string): Promise<StoredGenerationRun[]> {
    return queryAll<StoredGenerationRun>(
      this.container,
      { where: "c.type = 'leaver-report-run' AND c.requestedBy = @user", parameters: [{ name: '@user', value: userId }] },
      [['municipalityId', municipalityId]],
    );
  }
}

/**
 * Entries stored before reports had versions name their blobs by the report id and have no
 * `pending`; read that way, they are found, served, expired and erased like the others.
 */
function withVersion(entry: StoredLeaverReport): StoredLeaverReport {
  const stored: Partial<Pick<StoredLeaverReport, 'version' | 'pending'>> = entry;
  return { ...entry, version: stored.version ?? entry.id, pending: stored.pending ?? null };
}

/** What a reader may still see: not past the stored deadline, nor past the one the current setting gives. */
export interface LiveWindow {
  now: string;
  /** Reports created before this are past the current setting's deadline. */
  createdFrom: string;
}

/** What the expiry job removes: stored deadline at or before `moment`, or created before `createdBefore`. */
export interface DueWindow {
  moment: string;
  createdBefore: string;
}

function dueQuery(due: DueWindow): ScopedQuery {
  return {
    where: "c.type = 'leaver-report' AND (c.expiresAt <= @moment OR c.createdAt < @createdBefore)",
    parameters: [{ name: '@moment', value: due.moment }, { name: '@createdBefore', value: due.createdBefore }],
  };
}
