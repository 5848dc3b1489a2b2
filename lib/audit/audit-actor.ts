import type { Principal } from '../identity/principal.js';
import { identityKey } from '../identity/identity-key.js';
import { keyedDigest } from '../privacy/keyed-digest.js';

const ROLE_ORDER = ['data-admin', 'municipality-admin', 'school-admin', 'teacher'] as const;

/** The role the audit names for a staff user: their highest. */
export function auditRole(roles: readonly string[]): string {
  return ROLE_ORDER.find((role) => roles.includes(role)) ?? 'staff';
}

/** Who the audit names for a caller: a staff user's id and highest role, or an operator's stable pseudonym. */
export function auditActor(principal: Principal, digestKey: string): { actorId: string; actorRole: string } | undefined {
  if (principal.kind === 'staff') return { actorId: principal.userId, actorRole: auditRole(principal.roles) };
  if (principal.kind === 'operator') {
    // Operators are no tenant's users; the tenant sees which operator, not who they are.
    return { actorId: `operator:${keyedDigest(digestKey, `operator:${identityKey(principal.identity)}`).slice(0, 22)}`, actorRole: 'platform-operator' };
  }
  return undefined;
}

/**
 * What the audit says instead of an erased staff user's id: one stable keyed pseudonym per
 * person, so the controller still sees that one erased actor did those things, while nobody
 * without the key can link it to the id (which is gone everywhere else).
 */
export function erasedActorPseudonym(digestKey: string, municipalityId: string, userId: string): string {
  return `erased:${keyedDigest(digestKey, `audit-actor:${municipalityId}:${userId}`).slice(0, 22)}`;
}

/** The ids of a response: a page's items, or the resource itself (for audit declarations). */
export function idsOf(response: unknown): string[] {
  if (response && typeof response === 'object') {
    const { items, id } = response as { items?: unknown; id?: unknown };
    if (Array.isArray(items)) return items.flatMap((item: { id?: unknown }) => (typeof item?.id === 'string' ? [item.id] : []));
    if (typeof id === 'string') return [id];
  }
  return [];
}
