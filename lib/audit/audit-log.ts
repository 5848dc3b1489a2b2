import { randomUUID } from 'node:crypto';
import type { Container, JSONObject, OperationInput } from '@azure/cosmos';
import { z } from 'zod';
import { outsideRequests } from '../app/process-context.js';
import type { Clock } from '../clock.js';
import type { Page } from '../paging/continuation.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import { queryPage, type PageRequest } from '../paging/query-page.js';
import type { OperationCounter } from '../data/operation-counter.js';
import type { RequestDeadlines } from '../data/request-deadline.js';
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
}

/** What a batch answers for its other operations when one of them fails: the cause is elsewhere. */
const FAILED_DEPENDENCY = 424;


/** The request scopes a waiting request keeps, although its entry is written outside them. */
export interface AuditRequestScopes {
  deadlines: RequestDeadlines;
  operations: OperationCounter;
  /** How long one group write may take: a request's budget, since no waiter waits longer. */
  writeTimeoutMs: number;
}

/**
 * Who read or changed what: ids and actions only, never personal data. Partitioned by
 * municipality and month so no logical partition grows without bound.
 *
 * Group commit: `record` resolves once the entry is stored, and the dispatcher answers only
 * then. While one write is on its way, the entries of the requests that arrive meanwhile
 * wait and go together in the next write (one batch per partition), so concurrent requests
 * share a round trip instead of queueing behind one write each. An idle log writes at once:
 * a lone request waits for nothing but its own entry.
 *
 * A write belongs to no request: it runs outside every request's scope, so no request's
 * deadline cuts the others' entries, and each request waits for it against its own deadline
 * (one that runs out gets its own 503; the write goes on, and the others are answered when
 * it is stored). A write is cut after a request's budget all the same: outside every
 * request, no deadline would stop a throttled or stalled write, and every audited request of
 * the process would queue behind it. Each request counts the write it waited for as its own round trip; the
 * process total counts it once. Each partition's batch settles its own requests: a failure
 * in one partition is not another's.
 */
export class AuditLog {
  private waiting: Waiting[] = [];
  private writing = false;

  constructor(
    private readonly audit: Container,
    private readonly clock: Clock,
    private readonly continuations: ContinuationSealer,
    private readonly requests: AuditRequestScopes,
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
    const count = this.requests.operations.forCurrentScope();
    const stored = new Promise<void>((durable, failed) => {
      this.waiting.push({
        entry,
        durable: () => (count('write'), durable()),
        failed: (error) => (count('write'), failed(error)),
      });
      if (!this.writing) outsideRequests(() => void this.writeWaiting());
    });
    return this.requests.deadlines.within(stored);
  }

  private async writeWaiting(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      // At most 100: the limit of one transactional batch.
      const partitions = byPartition(this.waiting.splice(0, BULK_CHUNK));
      const outcomes = await Promise.allSettled(partitions.map((waiters) => this.writePartition(waiters.map((waiting) => waiting.entry))));
      outcomes.forEach((outcome, index) => {
        for (const waiting of partitions[index] as Waiting[]) {
          if (outcome.status === 'fulfilled') waiting.durable();
          else waiting.failed(outcome.reason);
        }
      });
    }
    this.writing = false;
  }

  /**
   * One entry is one point create. More go as one transactional batch (audit entries of one
   * municipality and month: all of a window, nearly always): one round trip, all stored or
   * none, and no per-operation routing as a bulk call would do. A batch that fails names the
   * failed operation's status and answers 424 for the rest; the former is the cause (a 429 is
   * "retry later", never the caller's or the server's fault).
   */
  private async writePartition(entries: readonly StoredAuditEntry[]): Promise<void> {
    const [first] = entries as [StoredAuditEntry];
    const abortSignal = AbortSignal.timeout(this.requests.writeTimeoutMs);
    if (entries.length === 1) {
      try {
        await this.audit.items.create(first, { abortSignal });
      } catch (error) {
        if (abortSignal.aborted) throw new BulkOperationFailed(503, 1);
        throw error;
      }
      return;
    }
    const operations: OperationInput[] = entries.map((entry) => ({ operationType: 'Create', resourceBody: entry as unknown as JSONObject }));
    let result: { statusCode: number }[];
    try {
      ({ result = [] } = await this.audit.items.batch(operations, [first.municipalityId, first.month], { abortSignal }));
    } catch {
      // The SDK rethrows a failed batch request as a plain Error, its status lost (a cut one too): unavailable, retry.
      throw new BulkOperationFailed(503, entries.length);
    }
    const refused = result.filter((outcome) => outcome.statusCode < 200 || outcome.statusCode >= 300);
    const cause = refused.find((outcome) => outcome.statusCode !== FAILED_DEPENDENCY);
    if (refused.length > 0 || result.length !== entries.length) throw new BulkOperationFailed(cause?.statusCode ?? 503, refused.length || entries.length);
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

/** The waiting entries by partition (municipality and month), in order. */
function byPartition(waiting: readonly Waiting[]): Waiting[][] {
  const partitions = new Map<string, Waiting[]>();
  for (const one of waiting) {
    const key = JSON.stringify([one.entry.municipalityId, one.entry.month]);
    const partition = partitions.get(key);
    if (partition) partition.push(one);
    else partitions.set(key, [one]);
  }
  return [...partitions.values()];
}
