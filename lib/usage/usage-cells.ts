import type { Container, PatchOperation } from '@azure/cosmos';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { queryPrefixPages } from '../paging/query-page.js';
import { keyedDigest } from '../privacy/keyed-digest.js';
import { cellsBucket, type UsageCellDocument, type UsageCellIndexDocument } from './usage-model.js';

/** Staff without a school, counted under this key when grouped by school. */
export const NO_SCHOOL = 'no-school';
/**
 * Ids carry the day although the partition does: ids stay unique per municipality, which the
 * local emulator (it keys documents by the first partition path only) needs.
 */
export const cellIndexId = (day: string): string => `features:${day}`;
export const cellId = (day: string, feature: string): string => `${day}:${featureKey(feature)}`;
/** Operations real Cosmos DB accepts in one patch. */
const PATCH_LIMIT = 10;
/** Attempts at a read-modify-replace that loses a race with ingestion (412) before failing. */
const REPLACE_ATTEMPTS = 10;

/** An event as the cells see it: what was used, and when (the client's time; its UTC day is the cell's). */
export interface CellEvent {
  feature: string;
  at: string;
}

/** Cell ids and index keys: features are slugs (`grades/list`), and `/` may appear in neither. */
export const featureKey = (feature: string): string => feature.replaceAll('/', ':');

/**
 * Usage in daily cells (P7 at a municipality's scale): one document per municipality, day
 * and feature holds the events per school and the people behind them, so a report over a
 * range reads one index and one cell per feature and day whatever the number of events.
 *
 * People are counted, never named: each cell keeps a keyed digest of every account that used
 * the feature that day (with the account's schools, for grouping by school), so distinct
 * people can be counted across days and features without an account id in any cell. The
 * digest stays only while the account's usage is linked to it: anonymising an account (P10)
 * removes its digest from every cell its events counted in, before its events lose their
 * account, so an anonymised or erased person leaves counted events and no digest anywhere.
 *
 * Cells live in the `usage` container, partition `cells:<YYYY-MM-DD>` of the municipality
 * (bounded by one day of one municipality), and are read by point reads only.
 */
export class UsageCells {
  constructor(
    private readonly usage: Container,
    private readonly digestKey: string,
  ) {}

  /** The digest under which an account is counted in a municipality's cells. */
  personDigest(municipalityId: string, accountId: string): string {
    return keyedDigest(this.digestKey, `usage-cell-person:${municipalityId}\u0000${accountId}`);
  }

  /**
   * Counts one account's events: one patch per day and feature used. Cells that do not exist
   * yet are listed in their day's index before they are created, so no cell is ever written
   * that a report cannot find.
   */
  async record(municipalityId: string, accountId: string, schoolIds: readonly string[], events: readonly CellEvent[]): Promise<void> {
    const schools = schoolIds.length > 0 ? [...new Set(schoolIds)] : [NO_SCHOOL];
    const person = this.personDigest(municipalityId, accountId);
    for (const [day, features] of groupByDay(events)) {
      const pk = [municipalityId, cellsBucket(day)];
      const changes = [...features].map(([feature, count]) => ({
        cell: {
          id: cellId(day, feature),
          municipalityId,
          accountBucket: cellsBucket(day),
          type: 'usage-cell',
          day,
          feature,
          events: count,
          schoolEvents: Object.fromEntries(schools.map((school) => [school, count])),
          people: { [person]: schools },
        } satisfies UsageCellDocument,
        operations: [
          { op: 'incr', path: '/events', value: count },
          { op: 'set', path: `/people/${person}`, value: schools },
          ...schools.map((school): PatchOperation => ({ op: 'incr', path: `/schoolEvents/${school}`, value: count })),
        ] satisfies PatchOperation[],
      }));
      const found = await Promise.all(changes.map(({ cell, operations }) => this.patched(pk, cell.id, operations)));
      const missing = changes.filter((_, index) => !found[index]);
      if (missing.length === 0) continue;
      const listed: PatchOperation[] = missing.map(({ cell }) => ({ op: 'set', path: `/features/${featureKey(cell.feature)}`, value: cell.feature }));
      const index: UsageCellIndexDocument = {
        id: cellIndexId(day),
        municipalityId,
        accountBucket: cellsBucket(day),
        type: 'usage-cell-index',
        day,
        features: Object.fromEntries(missing.map(({ cell }) => [featureKey(cell.feature), cell.feature])),
      };
      if (!(await this.patched(pk, index.id, listed))) await this.createOrPatch(pk, index, listed);
      await Promise.all(missing.map(({ cell, operations }) => this.createOrPatch(pk, cell, operations)));
    }
  }

  /**
   * Removes an account's digest from the cells of the given events; their events stay counted.
   * Idempotent: a cell without the digest is left alone, so a resumed anonymisation repeats it freely.
   */
  async forget(municipalityId: string, accountId: string, events: readonly CellEvent[]): Promise<void> {
    const person = this.personDigest(municipalityId, accountId);
    for (const [day, features] of groupByDay(events)) {
      for (const feature of features.keys()) await this.removePerson([municipalityId, cellsBucket(day)], cellId(day, feature), person);
    }
  }

  /**
   * The days whose cells still count the account under its digest, found by a query over the
   * municipality's cells (the days of an anonymised account's events are known no more): for
   * erasure verification, never a request path. Its cost follows the municipality's cells
   * (days x features), read through the `type` index, not its events.
   */
  async daysCounting(municipalityId: string, accountId: string): Promise<string[]> {
    const person = this.personDigest(municipalityId, accountId);
    const days = new Set<string>();
    // A digest is base64url (letters, digits, `-`, `_`), so it can name the property in the query text.
    const query = { select: 'VALUE c.day', where: `c.type = 'usage-cell' AND IS_DEFINED(c.people["${person}"])` };
    for await (const page of queryPrefixPages<string>(this.usage, query, [['municipalityId', municipalityId]])) for (const day of page) days.add(day);
    return [...days].sort();
  }

  /** The cells of the given days: one point read per day, then one per feature used that day. */
  async cellsOf(municipalityId: string, days: readonly string[]): Promise<UsageCellDocument[]> {
    const perDay = await Promise.all(
      days.map(async (day) => {
        const pk = [municipalityId, cellsBucket(day)];
        const index = await this.read<UsageCellIndexDocument>(pk, cellIndexId(day));
        if (!index) return [];
        const cells = await Promise.all(Object.values(index.features).map((feature) => this.read<UsageCellDocument>(pk, cellId(day, feature))));
        return cells.filter((cell): cell is UsageCellDocument => cell !== undefined);
      }),
    );
    return perDay.flat();
  }

  private async read<T extends object>(pk: string[], id: string): Promise<(T & { _etag?: string }) | undefined> {
    try {
      return (await this.usage.item(id, pk).read<T & { _etag?: string }>()).resource;
    } catch (error) {
      if (isCosmosStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /** False when the document does not exist. */
  private async patched(pk: string[], id: string, operations: PatchOperation[]): Promise<boolean> {
    try {
      for (let start = 0; start < operations.length; start += PATCH_LIMIT) await this.usage.item(id, pk).patch(operations.slice(start, start + PATCH_LIMIT));
      return true;
    } catch (error) {
      if (isCosmosStatus(error, 404)) return false;
      throw error;
    }
  }

  /** Creates the document, or, when a concurrent request just did, applies the same change to it. */
  private async createOrPatch(pk: string[], initial: UsageCellDocument | UsageCellIndexDocument, operations: PatchOperation[]): Promise<void> {
    try {
      await this.usage.items.create(initial);
    } catch (error) {
      if (!isCosmosStatus(error, 409)) throw error;
      if (!(await this.patched(pk, initial.id, operations))) throw error;
    }
  }

  private async removePerson(pk: string[], id: string, person: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const cell = await this.read<UsageCellDocument>(pk, id);
      if (!cell?.people[person]) return;
      const { [person]: _removed, ...people } = cell.people;
      try {
        await this.usage.item(id, pk).replace({ ...cell, people }, { accessCondition: { type: 'IfMatch', condition: cell._etag ?? '' } });
        return;
      } catch (error) {
        if (!isCosmosStatus(error, 412) || attempt >= REPLACE_ATTEMPTS) throw error;
      }
    }
  }
}

/** Events per UTC day and feature. */
function groupByDay(events: readonly CellEvent[]): Map<string, Map<string, number>> {
  const days = new Map<string, Map<string, number>>();
  for (const event of events) {
    const day = new Date(event.at).toISOString().slice(0, 10);
    const features = days.get(day) ?? new Map<string, number>();
    features.set(event.feature, (features.get(event.feature) ?? 0) + 1);
    days.set(day, features);
  }
  return days;
}
