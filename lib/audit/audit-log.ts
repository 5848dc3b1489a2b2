import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Container, JSONObject, OperationInput } from '@azure/cosmos';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Page } from '../paging/continuation.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import { queryPage, type PageRequest } from '../paging/query-page.js';
import { BULK_CHUNK, BulkOperationFailed } from '../usage/bulk.js';

export const AUDIT_ACTIONS = ['read', 'list', 'create', 'update', 'delete'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const auditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  actorId: z.string().nullable(),
  actorRole: z.string(),
  action: z.enum(AUDIT_ACTIONS),
  resourceType: z.string(),
  targetIds: z.array(z.string()),
});

export type AuditEntry = z.infer<typeof auditEntrySchema>;

interface StoredAuditEntry extends AuditEntry {
  municipalityId: string;
  month: string;
}

export interface AuditEvent {
  municipalityId: string;
  actorId: string | null;
  actorRole: string;
  action: AuditAction;
  resourceType: string;
  targetIds: readonly string[];
}

export const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM');

/** An entry waiting to be written, and the request waiting for it. */
interface Waiting {
  entry: StoredAuditEntry;
  durable: () => void;
  failed: (error: unknown) => void;
  /** The async context of the request that made it (its deadline, its operation count). */
  inContext: <R>(work: () => R) => R;
}

/**
 * Who read or changed what: ids and actions only, never personal data. Partitioned by
 * municipality and month so no logical partition grows without bound.
 *
 * Group commit: `record` resolves once the entry is stored, and the dispatcher answers only
 * then. While one write is on its way, the entries of the requests that arrive meanwhile
 * wait and go together in the next write (one batch), so concurrent requests share a
 * round trip instead of queueing behind one write each. An idle log writes at once: a lone
 * request waits for nothing but its own entry. A write runs in the context of its first
 * request (that request's deadline cuts it, and its operation count shows it).
 */
export class AuditLog {
  private waiting: Waiting[] = [];
  private writing = false;

  constructor(
    private readonly audit: Container,
    private readonly clock: Clock,
    private readonly continuations: ContinuationSealer,
  ) {}

  record(event: AuditEvent): Promise<void> {
    const at = this.clock.now().toISOString();
    const entry: StoredAuditEntry = {
      id: randomUUID(),
      municipalityId: event.municipalityId,
      month: at.slice(0, 7),
      at,
      actorId: event.actorId,
      actorRole: event.actorRole,
      action: event.action,
      resourceType: event.resourceType,
      targetIds: [...new Set(event.targetIds)],
    };
    return new Promise<void>((durable, failed) => {
      this.waiting.push({ entry, durable, failed, inContext: AsyncLocalStorage.snapshot() });
      if (!this.writing) void this.writeWaiting();
    });
  }

  private async writeWaiting(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      // At most 100: the limit of one transactional batch.
      const group = this.waiting.splice(0, BULK_CHUNK);
      try {
        await (group[0] as Waiting).inContext(() => this.write(group.map((waiting) => waiting.entry)));
        for (const waiting of group) waiting.durable();
      } catch (error) {
        for (const waiting of group) waiting.failed(error);
      }
    }
    this.writing = false;
  }

  /**
   * One entry is one point create. More go as one transactional batch per partition (audit
   * entries of one municipality and month: all of a window, nearly always): one round trip,
   * all stored or none, and no per-operation routing as a bulk call would do.
   */
  private async write(entries: readonly StoredAuditEntry[]): Promise<void> {
    const partitions = new Map<string, StoredAuditEntry[]>();
    for (const entry of entries) {
      const key = JSON.stringify([entry.municipalityId, entry.month]);
      partitions.set(key, [...(partitions.get(key) ?? []), entry]);
    }
    await Promise.all([...partitions.values()].map((partition) => this.writePartition(partition)));
  }

  private async writePartition(entries: readonly StoredAuditEntry[]): Promise<void> {
    const [first] = entries as [StoredAuditEntry];
    if (entries.length === 1) {
      await this.audit.items.create(first);
      return;
    }
    const operations: OperationInput[] = entries.map((entry) => ({ operationType: 'Create', resourceBody: entry as unknown as JSONObject }));
    const { result = [] } = await this.audit.items.batch(operations, [first.municipalityId, first.month]);
    const refused = result.find((outcome) => outcome.statusCode < 200 || outcome.statusCode >= 300);
    if (refused || result.length !== entries.length) throw new BulkOperationFailed(refused?.statusCode ?? 503, entries.length);
  }

  list(municipalityId: string, month: string | undefined, filter: { targetId?: string | undefined; actorRole?: string }, page: PageRequest): Promise<Page<AuditEntry>> {
    const conditions: string[] = [];
    const parameters: { name: string; value: string }[] = [];
    if (filter.targetId) {
      conditions.push('ARRAY_CONTAINS(c.targetIds, @target)');
      parameters.push({ name: '@target', value: filter.targetId });
    }
    if (filter.actorRole) {
      conditions.push('c.actorRole = @role');
      parameters.push({ name: '@role', value: filter.actorRole });
    }
    return queryPage<AuditEntry>(
      this.continuations,
      this.audit,
      {
        ...(conditions.length > 0 ? { where: conditions.join(' AND '), parameters } : {}),
        orderBy: 'c.at DESC',
      },
      [['municipalityId', municipalityId], ['month', month ?? this.clock.now().toISOString().slice(0, 7)]],
      page,
    );
  }
}
