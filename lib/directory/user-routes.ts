import { z } from 'zod';
import { inScope, staffOf, staffReadScope, type StaffPrincipal } from '../access/scopes.js';
import { idsOf } from '../audit/audit-actor.js';
import { userInputSchema, userPatchSchema, userReceiptSchema, userSchema, type StoredUser } from './users.js';
import { etagHeader, ifMatchOf } from '../http/etag.js';
import { problems } from '../http/problem.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { hasRole, type Principal, type TenantRole } from '../identity/principal.js';
import { pageOf, pagingQuery } from '../paging/continuation.js';
import { tenantParams, userParams } from '../http/route-params.js';

const READERS = ['municipality-admin', 'school-admin', 'data-admin', 'teacher'] as const;
const SCHOOL_ADMIN_GRANTABLE: readonly TenantRole[] = ['teacher', 'school-admin'];

/**
 * A school admin manages staff of their own schools only: they may grant teacher and
 * school-admin, add or remove their own schools, and never touch municipality-wide staff.
 */
function assertMayAssign(principal: Principal | undefined, before: Pick<StoredUser, 'roles' | 'schoolIds'> | undefined, after: Pick<StoredUser, 'roles' | 'schoolIds'>): void {
  if (principal?.kind === 'operator' || (principal?.kind === 'staff' && hasRole(principal, 'municipality-admin'))) return;
  const staff = staffOf(principal);
  const own = new Set(staff.schoolIds);
  const rolesOk = after.roles.every((role) => SCHOOL_ADMIN_GRANTABLE.includes(role)) &&
    (before?.roles ?? []).every((role) => SCHOOL_ADMIN_GRANTABLE.includes(role));
  if (!rolesOk) throw problems.validation([{ field: 'body/roles', message: 'school admins may only grant teacher and school-admin' }]);
  const changed = [...(before?.schoolIds ?? []), ...after.schoolIds].filter(
    (id) => !(before?.schoolIds.includes(id) && after.schoolIds.includes(id)),
  );
  if (after.schoolIds.length === 0 || changed.some((id) => !own.has(id))) {
    throw problems.validation([{ field: 'body/schoolIds', message: 'school admins may only assign their own schools' }]);
  }
}

function visibleTo(staff: StaffPrincipal, user: StoredUser): boolean {
  return staff.userId === user.id || inScope(staffReadScope(staff), { schoolIds: user.schoolIds });
}

export const userRoutes: AnyRoute[] = [
  defineRoute({
    name: 'create-user',
    method: 'POST',
    path: '/municipalities/{municipalityId}/users',
    summary: "Register a staff user; platform operators may bootstrap a municipality's first users",
    tag: 'directory',
    access: { kind: 'roles', roles: ['platform-operator', 'municipality-admin', 'school-admin'] },
    params: tenantParams,
    body: userInputSchema,
    response: userReceiptSchema,
    successStatus: 201,
    errorStatuses: [409],
    audit: { action: 'create', resource: 'user', targets: (_request, user) => idsOf(user) },
    uses: ['municipalities', 'principals', 'schools', 'users'],
    handler: async ({ params, body, principal }, services) => {
      await services.municipalities.get(params.municipalityId);
      assertMayAssign(principal, undefined, body);
      await services.schools.assertExist(params.municipalityId, body.schoolIds);
      const user = await services.users.create(params.municipalityId, body);
      services.principals.forget(body.identity);
      return {
        status: 201,
        body: user,
        headers: { Location: `/api/municipalities/${params.municipalityId}/users/${user.id}` },
      };
    },
  }),
  defineRoute({
    name: 'list-users',
    method: 'GET',
    path: '/municipalities/{municipalityId}/users',
    summary: 'Staff the caller may see: everyone for municipality and data admins, own schools for school admins',
    tag: 'directory',
    access: { kind: 'roles', roles: ['municipality-admin', 'school-admin', 'data-admin'] },
    params: tenantParams,
    query: z.strictObject(pagingQuery),
    response: pageOf(userSchema),
    successStatus: 200,
    audit: { action: 'list', resource: 'user', targets: (_request, page) => idsOf(page) },
    uses: ['users'],
    handler: async ({ params, query, principal }, services) => {
      const staff = staffOf(principal);
      const page = await services.users.list(params.municipalityId, staffReadScope(staff), query);
      return { status: 200, body: page };
    },
  }),
  defineRoute({
    name: 'get-user',
    method: 'GET',
    path: '/municipalities/{municipalityId}/users/{userId}',
    summary: 'One staff user (anyone may read their own record)',
    tag: 'directory',
    access: { kind: 'roles', roles: READERS },
    params: userParams,
    response: userSchema,
    successStatus: 200,
    audit: { action: 'read', resource: 'user', targets: ({ params }) => [params.userId] },
    uses: ['users'],
    handler: async ({ params, principal }, services) => {
      const staff = staffOf(principal);
      const user = await services.users.get(params.municipalityId, params.userId);
      if (!visibleTo(staff, user.value)) throw problems.notFound();
      return { status: 200, body: user.value, headers: etagHeader(user.etag) };
    },
  }),
  defineRoute({
    name: 'update-user',
    method: 'PATCH',
    path: '/municipalities/{municipalityId}/users/{userId}',
    summary: 'Change a staff user (JSON merge patch; phone null removes it); needs If-Match',
    tag: 'directory',
    access: { kind: 'roles', roles: ['municipality-admin', 'school-admin'] },
    params: userParams,
    body: userPatchSchema,
    response: userSchema,
    successStatus: 200,
    requiresIfMatch: true,
    audit: { action: 'update', resource: 'user', targets: ({ params }) => [params.userId] },
    uses: ['principals', 'schools', 'users'],
    handler: async ({ params, body, headers, principal }, services) => {
      const staff = staffOf(principal);
      const current = await services.users.get(params.municipalityId, params.userId);
      if (!inScope(staffReadScope(staff), { schoolIds: current.value.schoolIds })) throw problems.notFound();
      const after = { roles: body.roles ?? current.value.roles, schoolIds: body.schoolIds ?? current.value.schoolIds };
      assertMayAssign(principal, current.value, after);
      if (body.schoolIds) await services.schools.assertExist(params.municipalityId, body.schoolIds);
      const user = await services.users.update(params.municipalityId, current, body, ifMatchOf(headers));
      services.principals.forget(user.value.identity);
      return { status: 200, body: user.value, headers: etagHeader(user.etag) };
    },
  }),
];
