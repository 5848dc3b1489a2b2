import { z } from 'zod';
import { inScope, staffOf, staffReadScope, type StaffPrincipal } from '../access/scopes.js';
import { idsOf } from '../audit/audit-actor.js';
import { userInputSchema, userPatchSchema, userReceiptSchema, userSchema, type StoredUser } from './users.js';
import { etagHeader, ifMatchOf } from '../http/etag.js';
import { problems } from '../http/problem.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import type { Principal } from '../identity/principal.js';
import { assertBootstrap, assertMayAssign } from './role-model.js';
import { pageOf, pagingQuery } from '../paging/continuation.js';
import { tenantParams, userParams } from '../http/route-params.js';

const READERS = ['municipality-admin', 'school-admin', 'data-admin', 'teacher'] as const;

function visibleTo(staff: StaffPrincipal, user: StoredUser): boolean {
  return staff.userId === user.id || inScope(staffReadScope(staff), { schoolIds: user.schoolIds });
}

export const userRoutes: AnyRoute[] = [
  defineRoute({
    name: 'create-user',
    method: 'POST',
    path: '/municipalities/{municipalityId}/users',
    summary: "Register a staff user; a platform operator registers only a municipality's first admin",
    description: 'Registers a staff user (ansatt) with the sign-in identity that maps to them and their roles. Who may grant which role follows the role model (docs/role-model.md); a platform operator registers only a municipality\'s first admin. Answers 201 with Location.',
    promises: ['P1', 'P2'],
    tag: 'directory',
    access: { kind: 'roles', roles: ['platform-operator', 'municipality-admin', 'school-admin'] },
    params: tenantParams,
    body: userInputSchema,
    response: userReceiptSchema,
    successStatus: 201,
    location: true,
    errorStatuses: [409],
    audit: { action: 'create', resource: 'user', targets: (_request, user) => idsOf(user) },
    uses: ['municipalities', 'principals', 'schools', 'users'],
    handler: async ({ params, body, principal }, services) => {
      await services.municipalities.get(params.municipalityId);
      const caller = principal as Principal;
      let user;
      if (caller.kind === 'operator') {
        user = await services.users.bootstrap(params.municipalityId, body, (admins) => assertBootstrap(body, admins));
      } else {
        assertMayAssign(caller, { after: body, changesContact: true });
        await services.schools.assertExist(params.municipalityId, body.schoolIds);
        user = await services.users.create(params.municipalityId, body);
      }
      if (user.roles.includes('data-admin')) await services.users.dataAdmins.admit(params.municipalityId, user.id);
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
    description: 'Staff users the caller manages, a page at a time.',
    promises: ['P2'],
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
    description: 'One staff user, with its ETag. A teacher may read only themselves.',
    promises: ['P2'],
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
    summary: 'Change a staff user (JSON merge patch; phone null removes it); roles per the role model (nobody their own); needs If-Match',
    description: 'Changes a staff user\'s name, contact, schools or roles (JSON merge patch); needs If-Match. Nobody changes their own roles, and the last data admin stays.',
    promises: ['P2'],
    tag: 'directory',
    access: { kind: 'roles', roles: ['municipality-admin', 'school-admin', 'data-admin'] },
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
      if (!visibleTo(staff, current.value)) throw problems.notFound();
      const after = { roles: body.roles ?? current.value.roles, schoolIds: body.schoolIds ?? current.value.schoolIds };
      const changesContact = body.name !== undefined || body.email !== undefined || body.phone !== undefined;
      assertMayAssign(staff, { target: current.value, after, changesContact });
      const losesDataAdmin = current.value.roles.includes('data-admin') && !after.roles.includes('data-admin');
      const gainsDataAdmin = !current.value.roles.includes('data-admin') && after.roles.includes('data-admin');
      if (body.schoolIds) await services.schools.assertExist(params.municipalityId, body.schoolIds);
      // Removals go through the roster before the user changes; grants after (lib/directory/data-admin-roster.ts).
      if (losesDataAdmin) await services.users.dataAdmins.release(params.municipalityId, [params.userId]);
      const user = await services.users.update(params.municipalityId, current, body, ifMatchOf(headers)).catch(async (error: unknown) => {
        // The roles did not change after all: the roster takes the user back (it may only ever run short).
        if (losesDataAdmin) await services.users.dataAdmins.admit(params.municipalityId, params.userId).catch(() => undefined);
        throw error;
      });
      if (gainsDataAdmin) await services.users.dataAdmins.admit(params.municipalityId, params.userId);
      services.principals.forget(user.value.identity);
      return { status: 200, body: user.value, headers: etagHeader(user.etag) };
    },
  }),
];
