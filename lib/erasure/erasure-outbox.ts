import type { Container } from '@azure/cosmos';
import { deleteIfPresent } from '../data/documents.js';
import { queryAll } from '../paging/query-page.js';

const ERASURE_OUTBOX_PARTITION = 'erasure-outbox';

/**
 * One accepted erasure that is not completed yet: written before the erasure record, removed
 * when the erasure completes. The resume timer reads this one partition instead of every
 * municipality's, so the work it does grows with unfinished erasures only. It names no subject.
 */
export interface ErasureOutboxEntry {
  id: string;
  pk: typeof ERASURE_OUTBOX_PARTITION;
  type: 'erasure-outbox';
  municipalityId: string;
  acceptedAt: string;
  /** When the erasure becomes overdue (ERASURE_OVERDUE_HOURS after it was accepted). */
  deadline: string;
}

export class ErasureOutbox {
  constructor(private readonly jobs: Container) {}

  async add(entry: Omit<ErasureOutboxEntry, 'pk' | 'type'>): Promise<void> {
    const document: ErasureOutboxEntry = { ...entry, pk: ERASURE_OUTBOX_PARTITION, type: 'erasure-outbox' };
    await this.jobs.items.upsert(document);
  }

  list(): Promise<ErasureOutboxEntry[]> {
    return queryAll<ErasureOutboxEntry>(this.jobs, { where: "c.type = 'erasure-outbox'" }, [['pk', ERASURE_OUTBOX_PARTITION]]);
  }

  async remove(erasureId: string): Promise<void> {
    await deleteIfPresent(this.jobs, erasureId, ERASURE_OUTBOX_PARTITION);
  }
}
