import type { Container } from '@azure/cosmos';
import type { StoredErasure } from './erasure-model.js';
import { reapplyWindowStart } from './erasure-reapply.js';

/**
 * The runbook's copy step after a point-in-time restore: the erasure records accepted at or
 * after the restore point (less the re-apply's margin) exist only in the account that was
 * restored from, so they are copied into the restored account's `directory` container before
 * the re-apply run reads them. They are the controller's register of instructions (P16),
 * which a restore must not lose. What an unfinished record still carries for its own run (the
 * name phrases of its sweep, the raw ids still to tombstone) is left behind: in the restored
 * account no run will ever finish it, the re-apply erases its subjects under new erasures,
 * and it stays as a failed instruction that names nobody. Upserts, so running it twice is
 * harmless. A cross-partition query: operator tooling, never a request path.
 */
export async function copyErasureRecords(source: Container, target: Container, restoredTo: string): Promise<number> {
  const { resources } = await source.items
    .query<StoredErasure & Record<string, unknown>>({ query: "SELECT * FROM c WHERE c.type = 'erasure' AND c.createdAt >= @since", parameters: [{ name: '@since', value: reapplyWindowStart(restoredTo) }] })
    .fetchAll();
  for (const { _rid, _self, _etag, _attachments, _ts, nameSweep: _names, tombstonesPending: _pending, ...record } of resources) {
    await target.items.upsert(record.status === 'completed' ? record : { ...record, status: 'failed' });
  }
  return resources.length;
}
