import { problems } from '../http/problem.js';
import { hasRole, type Principal, type TenantRole } from '../identity/principal.js';

/**
 * Who may grant which role to whom, and who may erase whom (docs/role-model.md). Duties are
 * separated: nobody changes their own roles; `data-admin` (erasure, exports, audit) is
 * granted only by a data admin, or to the first admin at bootstrap; the last data admin of a
 * municipality is neither demoted nor erased; a platform operator only registers a
 * municipality's first admin.
 */
export type Assignment = { roles: readonly TenantRole[]; schoolIds: readonly string[] };

/** The roles each role may grant and remove, on others. */
export const GRANTS: Readonly<Record<TenantRole, readonly TenantRole[]>> = {
  'municipality-admin': ['teacher', 'school-admin', 'municipality-admin'],
  'data-admin': ['data-admin'],
  'school-admin': ['teacher', 'school-admin'],
  teacher: [],
};

/** What an operator may register, and only while the municipality has no municipality admin. */
export const BOOTSTRAP_ROLES: readonly TenantRole[] = ['municipality-admin', 'data-admin'];

/** The fields of a user besides roles and schools (name, email, phone): who may change them is who manages the user. */
export interface UserChange {
  /** The user being changed; none when one is being created. */
  target?: { id: string } & Assignment;
  after: Assignment;
  /** Whether name, email or phone change. */
  changesContact: boolean;
}

export function assertMayAssign(caller: Principal, change: UserChange): void {
  if (caller.kind !== 'staff') throw problems.forbidden();
  const before = change.target ?? { roles: [], schoolIds: [] };
  const changed = symmetricDifference(before.roles, change.after.roles);
  if (change.target?.id === caller.userId && changed.length > 0) throw problems.forbidden('Nobody changes their own roles: ask another admin');
  const grantable = new Set(caller.roles.flatMap((role) => GRANTS[role]));
  const refused = changed.filter((role) => !grantable.has(role));
  if (refused.length > 0) throw problems.forbidden(`You may not grant or remove the role ${refused.join(', ')}`);
  if (hasRole(caller, 'municipality-admin')) return;
  const schoolsChanged = symmetricDifference(before.schoolIds, change.after.schoolIds).length > 0;
  const onlyDataAdmin = change.target !== undefined && !change.changesContact && !schoolsChanged && changed.every((role) => role === 'data-admin');
  if (hasRole(caller, 'data-admin') && onlyDataAdmin) return;
  if (hasRole(caller, 'school-admin')) {
    assertWithinOwnSchools(caller.schoolIds, before, change.after);
    return;
  }
  throw problems.forbidden('A data admin only grants and removes the data-admin role');
}

/** A school admin manages staff of their own schools only, and never municipality-wide staff. */
function assertWithinOwnSchools(own: readonly string[], before: Assignment, after: Assignment): void {
  const theirs = new Set<TenantRole>(GRANTS['school-admin']);
  if (!before.roles.every((role) => theirs.has(role))) throw problems.forbidden('School admins do not manage municipality-wide staff');
  const ownSet = new Set(own);
  const changed = symmetricDifference(before.schoolIds, after.schoolIds);
  if (after.schoolIds.length === 0 || changed.some((id) => !ownSet.has(id))) {
    throw problems.forbidden('School admins may only assign their own schools');
  }
}

/** The operator's one write in a tenant: its first admin, while it has no municipality admin. */
export function assertBootstrap(after: Assignment, municipalityAdmins: number): void {
  if (municipalityAdmins > 0) throw problems.forbidden("The municipality has its admin: a platform operator registers only a municipality's first admin");
  if (!after.roles.includes('municipality-admin') || after.roles.some((role) => !BOOTSTRAP_ROLES.includes(role)) || after.schoolIds.length > 0) {
    throw problems.forbidden('A platform operator registers only the first admin: municipality-admin, and data-admin if wanted, no schools');
  }
}

/** An admin's own erasure is another data admin's instruction, never their own. */
export function assertNotOwnErasure(caller: Principal, userIds: readonly string[]): void {
  if (caller.kind === 'staff' && userIds.includes(caller.userId)) {
    throw problems.forbidden('Your own erasure must be instructed by another data admin');
  }
}

function symmetricDifference<T>(left: readonly T[], right: readonly T[]): T[] {
  return [...left.filter((item) => !right.includes(item)), ...right.filter((item) => !left.includes(item))];
}
