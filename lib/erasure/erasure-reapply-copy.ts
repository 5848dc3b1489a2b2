import type { Container } from '@azure/cosmos';
import type { StoredErasure } from './erasure-model.js';

/**
 * The runbook's copy step after a point-in-time restore: the erasure records accepted at or
 * after the restore point exist only in the account that was restored from, so they are
 * copied into the restored account's `directory` container before the re-apply run reads
 * them. They name nobody (keyed digests only), and they are the controller's register of
 * instructions (P16), which a restore must not lose. Upserts, so running it twice is harmless.
 * A cross-partition query: operator tooling, never a request path.
 */
export async function copyErasureRecords(source: Container, target: Container, since: string): Promise<number> {
  const { resources } = await source.items
    .query<StoredErasure & Record<string, unknown>>({ query: "SELECT * FROM c WHERE c.type = 'erasure' AND c.createdAt >= @since", parameters: [{ name: '@since', value: since }] })
    .fetchAll();
  for (const { _rid, _self, _etag, _attachments, _ts, ...record } of resources) await target.items.upsert(record);
  return resources.length;
}
