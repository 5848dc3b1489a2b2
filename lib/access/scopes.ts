import type { SqlParameter } from '@azure/cosmos';
import { problems } from '../http/problem.js';
import { hasRole, type Principal } from '../identity/principal.js';
import type { Settings } from '../directory/settings.js';

export type StaffPrincipal = Extract<Principal, { kind: 'staff' }>;

/** Tenant routes are only for staff; the dispatcher has already checked the municipality. */
export function staffOf(principal: Principal | undefined): StaffPrincipal {
  if (principal?.kind !== 'staff') throw problems.notFound();
  return principal;
}

/**
 * Which students (or groups, or staff) a caller may see: everything in the municipality,
 * or those at some schools, or those in the groups the caller teaches. Several roles unite.
 */
export interface Scope {
  all: boolean;
  schoolIds: readonly string[];
  teacherId?: string;
}

const NOTHING: Scope = { all: false, schoolIds: [] };

function unite(a: Scope, b: Scope): Scope {
  return {
    all: a.all || b.all,
    schoolIds: [...new Set([...a.schoolIds, ...b.schoolIds])],
    ...((a.teacherId ?? b.teacherId) ? { teacherId: (a.teacherId ?? b.teacherId) as string } : {}),
  };
}

/** P5: who sees which students, per role and the controller's visibility setting. */
export function studentReadScope(principal: StaffPrincipal, visibility: Settings['studentVisibility']): Scope {
  let scope = NOTHING;
  if (hasRole(principal, 'data-admin') || hasRole(principal, 'municipality-admin')) scope = unite(scope, { all: true, schoolIds: [] });
  if (hasRole(principal, 'school-admin')) scope = unite(scope, { all: false, schoolIds: principal.schoolIds });
  if (hasRole(principal, 'teacher')) scope = unite(scope, teacherScope(principal, visibility));
  return scope;
}

/** Teachers write records of the students their teacher visibility shows them. */
export function recordWriteScope(principal: StaffPrincipal, visibility: Settings['studentVisibility']): Scope {
  return hasRole(principal, 'teacher') ? teacherScope(principal, visibility) : NOTHING;
}

function teacherScope(principal: StaffPrincipal, visibility: Settings['studentVisibility']): Scope {
  if (visibility === 'municipality') return { all: true, schoolIds: [] };
  const taught: Scope = { all: false, schoolIds: [], teacherId: principal.userId };
  return visibility === 'school' ? unite(taught, { all: false, schoolIds: principal.schoolIds }) : taught;
}

/** Who manages (creates, edits, deletes) students, groups and staff. */
export function managementScope(principal: StaffPrincipal): Scope {
  if (hasRole(principal, 'municipality-admin')) return { all: true, schoolIds: [] };
  if (hasRole(principal, 'school-admin')) return { all: false, schoolIds: principal.schoolIds };
  return NOTHING;
}

/** Groups: readers see the groups at schools they may see, and the groups they teach. */
export function groupReadScope(principal: StaffPrincipal): Scope {
  let scope = NOTHING;
  if (hasRole(principal, 'data-admin') || hasRole(principal, 'municipality-admin')) scope = unite(scope, { all: true, schoolIds: [] });
  if (hasRole(principal, 'school-admin') || hasRole(principal, 'teacher')) scope = unite(scope, { all: false, schoolIds: principal.schoolIds });
  if (hasRole(principal, 'teacher')) scope = unite(scope, { all: false, schoolIds: [], teacherId: principal.userId });
  return scope;
}

/** Staff records: admins of the municipality see all; school admins see staff of their schools. */
export function staffReadScope(principal: StaffPrincipal): Scope {
  if (hasRole(principal, 'data-admin') || hasRole(principal, 'municipality-admin')) return { all: true, schoolIds: [] };
  if (hasRole(principal, 'school-admin')) return { all: false, schoolIds: principal.schoolIds };
  return NOTHING;
}

export function isEmpty(scope: Scope): boolean {
  return !scope.all && scope.schoolIds.length === 0 && scope.teacherId === undefined;
}

export function inScope(scope: Scope, subject: { schoolIds: readonly string[]; teacherIds?: readonly string[] }): boolean {
  if (scope.all) return true;
  if (subject.schoolIds.some((id) => scope.schoolIds.includes(id))) return true;
  return scope.teacherId !== undefined && (subject.teacherIds ?? []).includes(scope.teacherId);
}

/**
 * The same rule as `inScope`, as a SQL condition on a document alias `c` with a single
 * `schoolId` field (or a `schoolIds` array) and a `teacherIds` array.
 */
export function scopeCondition(scope: Scope, schoolField: 'schoolId' | 'schoolIds'): { sql: string; parameters: SqlParameter[] } {
  if (scope.all) return { sql: 'true', parameters: [] };
  const clauses: string[] = [];
  const parameters: SqlParameter[] = [];
  if (scope.schoolIds.length > 0) {
    clauses.push(
      schoolField === 'schoolId'
        ? 'ARRAY_CONTAINS(@scopeSchools, c.schoolId)'
        : 'EXISTS(SELECT VALUE s FROM s IN c.schoolIds WHERE ARRAY_CONTAINS(@scopeSchools, s))',
    );
    parameters.push({ name: '@scopeSchools', value: [...scope.schoolIds] });
  }
  if (scope.teacherId !== undefined) {
    clauses.push('ARRAY_CONTAINS(c.teacherIds, @scopeTeacher)');
    parameters.push({ name: '@scopeTeacher', value: scope.teacherId });
  }
  return { sql: clauses.length > 0 ? `(${clauses.join(' OR ')})` : 'false', parameters };
}
