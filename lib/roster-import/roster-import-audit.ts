import type { AuditAction, AuditEvent } from '../audit/audit-log.js';
import type { StoredRosterImport } from './roster-import-model.js';
import type { PlanOp } from './roster-plan.js';

/**
 * What the audit says of a written batch: per kind of document, which ones the import created
 * and which it changed, by the admin who started it in the role they had then (a keyed
 * pseudonym once they are erased). So "who changed this pupil" finds the import that did.
 */
export function batchAuditEvents(run: StoredRosterImport, written: readonly PlanOp[]): AuditEvent[] {
  const targets = new Map<string, { resourceType: string; action: AuditAction; ids: string[] }>();
  for (const op of written) {
    const resourceType = (op.doc as { type?: string }).type ?? 'document';
    const action: AuditAction = op.op === 'replace' ? 'update' : 'create';
    const key = `${resourceType} ${action}`;
    const entry = targets.get(key) ?? { resourceType, action, ids: [] };
    entry.ids.push(op.doc.id);
    targets.set(key, entry);
  }
  return [...targets.values()].map(({ resourceType, action, ids }) => ({
    municipalityId: run.municipalityId,
    actorId: run.requestedBy,
    actorRole: run.requestedRole ?? 'staff',
    action,
    resourceType,
    targetIds: ids,
  }));
}
