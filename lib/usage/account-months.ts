import type { Container } from '@azure/cosmos';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { queryAll } from '../paging/query-page.js';
import { bulkWrite, created, createOperation } from './bulk.js';
import { accountMonthsBucket, type UsageMonthDocument } from './usage-model.js';

export interface AccountMonth {
  municipalityId: string;
  accountId: string;
  month: string;
}

/** Markers this process has written recently; bounded, so a long-lived host stays small. */
const MAX_REMEMBERED = 50_000;

/**
 * The index of which months an account has usage data in. Writers mark a month before they
 * write data into it, so the data of an account is always reachable from its markers.
 */
export class AccountMonths {
  private readonly remembered = new Set<string>();

  constructor(private readonly usage: Container) {}

  /** `retryBudgetMs`: the caller's (bulk.ts): a request's, or a background write's. */
  async ensure(months: readonly AccountMonth[], retryBudgetMs: number): Promise<void> {
    const missing = new Map<string, AccountMonth>();
    for (const entry of months) {
      const key = `${entry.municipalityId}|${entry.accountId}|${entry.month}`;
      if (!this.remembered.has(key)) missing.set(key, entry);
    }
    if (missing.size === 0) return;
    await bulkWrite(
      this.usage,
      [...missing.values()].map((entry) => {
        const marker: UsageMonthDocument = {
          id: markerId(entry.accountId, entry.month),
          municipalityId: entry.municipalityId,
          accountBucket: accountMonthsBucket(entry.accountId),
          type: 'usage-month',
          month: entry.month,
        };
        return createOperation(marker, [marker.municipalityId, marker.accountBucket]);
      }),
      created,
      retryBudgetMs,
    );
    if (this.remembered.size + missing.size > MAX_REMEMBERED) this.remembered.clear();
    for (const key of missing.keys()) this.remembered.add(key);
  }

  async list(municipalityId: string, accountId: string): Promise<string[]> {
    const months = await queryAll<string>(
      this.usage,
      { select: 'VALUE c.month', where: "c.type = 'usage-month'" },
      [['municipalityId', municipalityId], ['accountBucket', accountMonthsBucket(accountId)]],
    );
    return months.sort();
  }

  async remove(municipalityId: string, accountId: string, month: string): Promise<void> {
    try {
      await this.usage.item(markerId(accountId, month), [municipalityId, accountMonthsBucket(accountId)]).delete();
    } catch (error) {
      if (!isCosmosStatus(error, 404)) throw error;
    }
  }
}

/**
 * Unique in the whole municipality, not just the account's partition: ids need only be
 * unique per logical partition in Cosmos DB, but the local emulator keys documents by the
 * first partition key level alone.
 */
function markerId(accountId: string, month: string): string {
  return `${accountId}:${month}`;
}
