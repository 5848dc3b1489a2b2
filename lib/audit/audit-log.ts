import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Page } from '../paging/continuation.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import { queryPage, type PageRequest } from '../paging/query-page.js';

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

/**
 * Who read or changed what: ids and actions only, never personal data. Partitioned by
 * municipality and month so no logical partition grows without bound.
 */
export class AuditLog {
  constructor(
    private readonly audit: Container,
    private readonly clock: Clock,
    private readonly continuations: ContinuationSealer,
  ) {}

  async record(event: AuditEvent): Promise<void> {
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
    await this.audit.items.create(entry);
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
