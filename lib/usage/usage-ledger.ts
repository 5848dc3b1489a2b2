import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { Clock } from '../clock.js';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { queryAll, queryBatch } from '../paging/query-page.js';
import { dayOf, deadlineOf } from './retention-policy.js';

/**
 * The index, written at erasure time, from which the anonymisation job finds its work
 * without ever scanning usage data (P10).
 *
 * `usage-due:<municipalityId>:<YYYY-MM-DD>` holds one entry per account deleted that day
 * (bounded by the deletions of one municipality in one day). `usage-open` holds one small
 * document per (municipality, day) that still has entries, so a run asks one partition
 * which days are due instead of probing every day. Entries are deleted once their account's
 * usage is anonymised, and with them the account id and the secret that derived the
 * anonymised ids.
 */
export const OPEN_DAYS_PARTITION = 'usage-open';
const LAST_DAY = '9999-12-31';

export const dueBucket = (municipalityId: string, day: string): string => `usage-due:${municipalityId}:${day}`;

export interface DueEntry {
  id: string;
  pk: string;
  type: 'usage-due';
  municipalityId: string;
  accountId: string;
  day: string;
  deletedAt: string;
  deadline: string;
  /** Random; derives the ids of the account's anonymised records (see anonymisedCopy). */
  secret: string;
  recordedAt: string;
}

export interface OpenDayRef {
  municipalityId: string;
  day: string;
}

interface OpenDay {
  id: string;
  pk: typeof OPEN_DAYS_PARTITION;
  type: 'usage-open-day';
  municipalityId: string;
  day: string;
  touchedAt: string;
}

export class UsageLedger {
  constructor(
    private readonly ledger: Container,
    private readonly clock: Clock,
  ) {}

  /**
   * Starts the P10 clock for a deleted staff account. Idempotent: recording the same
   * deletion again keeps the first entry. The entry is written before its day is marked
   * open, and the job only closes a day whose marker it read unchanged (If-Match), so an
   * entry recorded while its day is being closed is never orphaned.
   */
  async recordAccountDeleted(municipalityId: string, accountId: string, deletedAt: Date): Promise<void> {
    const day = dayOf(deletedAt);
    const now = this.clock.now().toISOString();
    const entry: DueEntry = {
      id: accountId,
      pk: dueBucket(municipalityId, day),
      type: 'usage-due',
      municipalityId,
      accountId,
      day,
      deletedAt: deletedAt.toISOString(),
      deadline: deadlineOf(deletedAt).toISOString(),
      secret: randomUUID(),
      recordedAt: now,
    };
    try {
      await this.ledger.items.create(entry);
    } catch (error) {
      if (!isCosmosStatus(error, 409)) throw error;
    }
    const open: OpenDay = { id: `${municipalityId}:${day}`, pk: OPEN_DAYS_PARTITION, type: 'usage-open-day', municipalityId, day, touchedAt: now };
    await this.ledger.items.upsert(open);
  }

  /** Open (municipality, day) pairs on or before `lastDay`, optionally of one municipality, oldest first. */
  async openDaysUpTo(lastDay: string, municipalityId?: string): Promise<OpenDayRef[]> {
    const days = await queryAll<OpenDayRef>(
      this.ledger,
      {
        select: 'c.municipalityId, c.day',
        where: `c.type = 'usage-open-day' AND c.day <= @day${municipalityId === undefined ? '' : ' AND c.municipalityId = @m'}`,
        parameters: [{ name: '@day', value: lastDay }, ...(municipalityId === undefined ? [] : [{ name: '@m', value: municipalityId }])],
      },
      [['pk', OPEN_DAYS_PARTITION]],
    );
    return days.sort((a, b) => a.day.localeCompare(b.day) || a.municipalityId.localeCompare(b.municipalityId));
  }

  async entries(municipalityId: string, day: string, limit: number): Promise<DueEntry[]> {
    const page = await queryBatch<DueEntry>(this.ledger, { where: "c.type = 'usage-due'" }, [['pk', dueBucket(municipalityId, day)]], limit);
    return page.items;
  }

  /** Entries of a day, or only those whose deadline is before `deadlineBefore`. */
  async countEntries(municipalityId: string, day: string, deadlineBefore?: string): Promise<number> {
    const [count] = await queryAll<number>(
      this.ledger,
      deadlineBefore === undefined
        ? { select: 'VALUE COUNT(1)', where: "c.type = 'usage-due'" }
        : {
            select: 'VALUE COUNT(1)',
            where: "c.type = 'usage-due' AND c.deadline < @deadline",
            parameters: [{ name: '@deadline', value: deadlineBefore }],
          },
      [['pk', dueBucket(municipalityId, day)]],
    );
    return count ?? 0;
  }

  /**
   * An account's pending entry, wherever its day is: one point read per open day of the
   * municipality (a few dozen at most, as days close once done). For erasure, not for jobs.
   */
  async findEntry(municipalityId: string, accountId: string): Promise<DueEntry | undefined> {
    for (const { day } of await this.openDaysUpTo(LAST_DAY, municipalityId)) {
      const found = await this.reread({ id: accountId, pk: dueBucket(municipalityId, day) });
      if (found) return found.entry;
    }
    return undefined;
  }

  /** The entry as stored now (another run may have finished it since it was listed). */
  async reread(entry: Pick<DueEntry, 'id' | 'pk'>): Promise<{ entry: DueEntry; etag: string } | undefined> {
    try {
      const { resource, etag } = await this.ledger.item(entry.id, entry.pk).read<DueEntry>();
      return resource ? { entry: resource, etag } : undefined;
    } catch (error) {
      if (isCosmosStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /**
   * Deletes a finished entry, and with it the account id and its secret. A changed entry
   * (412) fails loudly rather than being skipped: a batch must never loop over an entry it
   * cannot finish.
   */
  async complete(entry: DueEntry, etag: string): Promise<void> {
    try {
      await this.ledger.item(entry.id, entry.pk).delete({ accessCondition: { type: 'IfMatch', condition: etag } });
    } catch (error) {
      if (!isCosmosStatus(error, 404)) throw error;
    }
  }

  /** Closes a drained day; false when it still has entries. */
  async closeDayIfEmpty(municipalityId: string, day: string): Promise<boolean> {
    const id = `${municipalityId}:${day}`;
    let etag: string;
    try {
      const read = await this.ledger.item(id, OPEN_DAYS_PARTITION).read<OpenDay>();
      if (!read.resource) return true;
      etag = read.etag;
    } catch (error) {
      if (isCosmosStatus(error, 404)) return true;
      throw error;
    }
    if ((await this.entries(municipalityId, day, 1)).length > 0) return false;
    try {
      await this.ledger.item(id, OPEN_DAYS_PARTITION).delete({ accessCondition: { type: 'IfMatch', condition: etag } });
    } catch (error) {
      // 412: an entry was recorded for this day meanwhile; the day stays open for the next batch.
      if (isCosmosStatus(error, 412)) return false;
      if (!isCosmosStatus(error, 404)) throw error;
    }
    return true;
  }
}
