import { z } from 'zod';
import { groupReadScope, inScope, managementScope, staffOf, type StaffPrincipal } from '../access/scopes.js';
import { idsOf } from '../audit/audit-actor.js';
import type { Versioned } from '../data/documents.js';
import { groupInputSchema, groupPatchSchema, groupSchema, type StoredGroup } from './groups.js';
import { etagHeader, ifMatchOf } from '../http/etag.js';
import { problems } from '../http/problem.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { TENANT_ROLES } from '../identity/principal.js';
import { pageOf, pagingQuery } from '../paging/continuation.js';
import type { Services } from '../services.js';
import { groupParams, tenantParams } from '../http/route-params.js';

const MANAGERS = ['municipality-admin', 'school-admin'] as const;

async function visibleGroup(services: Pick<Services, 'groups'>, principal: StaffPrincipal, groupId: string): Promise<Versioned<StoredGroup>> {
  const group = await services.groups.get(principal.municipalityId, groupId);
  if (!inScope(groupReadScope(principal), { schoolIds: [group.value.schoolId], teacherIds: group.value.teacherIds })) {
    throw problems.notFound();
  }
  return group;
}

async function manageableGroup(services: Pick<Services, 'groups'>, principal: StaffPrincipal, groupId: string): Promise<Versioned<StoredGroup>> {
  const group = await visibleGroup(services, principal, groupId);
  if (!inScope(managementScope(principal), { schoolIds: [group.value.schoolId] })) throw problems.forbidden();
  return group;
}

export const groupRoutes: AnyRoute[] = [
  defineRoute({
    name: 'list-groups',
    method: 'GET',
    path: '/municipalities/{municipalityId}/groups',
    summary: 'Teaching groups the caller may see',
    description: 'Groups (klasser, faggrupper) the caller may see, a page at a time, optionally by school.',
    promises: ['P2', 'P5'],
    tag: 'groups',
    access: { kind: 'roles', roles: TENANT_ROLES },
    params: tenantParams,
    query: z.strictObject({ ...pagingQuery, schoolId: z.uuid().optional() }),
    response: pageOf(groupSchema),
    successStatus: 200,
    uses: ['groups'],
    handler: async ({ params, query, principal }, services) => {
      const staff = staffOf(principal);
      const page = await services.groups.list(params.municipalityId, groupReadScope(staff), query.schoolId, query);
      return { status: 200, body: page };
    },
  }),
  defineRoute({
    name: 'create-group',
    method: 'POST',
    path: '/municipalities/{municipalityId}/groups',
    summary: 'Create a teaching group at a school the caller manages',
    description: 'Creates a group at a school the caller manages, with its teachers and students. Answers 201 with Location and ETag.',
    promises: ['P2'],
    tag: 'groups',
    access: { kind: 'roles', roles: MANAGERS },
    params: tenantParams,
    body: groupInputSchema,
    response: groupSchema,
    successStatus: 201,
    location: true,
    audit: { action: 'create', resource: 'group', targets: ({ body }, group) => [...idsOf(group), ...body.studentIds, ...body.teacherIds] },
    uses: ['groups'],
    handler: async ({ params, body, principal }, services) => {
      const staff = staffOf(principal);
      if (!inScope(managementScope(staff), { schoolIds: [body.schoolId] })) {
        throw problems.validation([{ field: 'body/schoolId', message: 'refers to a school you do not manage' }]);
      }
      const group = await services.groups.create(params.municipalityId, body);
      return {
        status: 201,
        body: group.value,
        headers: { ...etagHeader(group.etag), Location: `/api/municipalities/${params.municipalityId}/groups/${group.value.id}` },
      };
    },
  }),
  defineRoute({
    name: 'get-group',
    method: 'GET',
    path: '/municipalities/{municipalityId}/groups/{groupId}',
    summary: 'One teaching group',
    description: 'One group with its teachers and students, with its ETag.',
    promises: ['P2', 'P5'],
    tag: 'groups',
    access: { kind: 'roles', roles: TENANT_ROLES },
    params: groupParams,
    response: groupSchema,
    successStatus: 200,
    uses: ['groups'],
    handler: async ({ params, principal }, services) => {
      const group = await visibleGroup(services, staffOf(principal), params.groupId);
      return { status: 200, body: group.value, headers: etagHeader(group.etag) };
    },
  }),
  defineRoute({
    name: 'update-group',
    method: 'PATCH',
    path: '/municipalities/{municipalityId}/groups/{groupId}',
    summary: 'Rename a group or change its members (JSON merge patch); needs If-Match',
    description: 'Renames a group or changes its teachers or students (JSON merge patch); needs If-Match.',
    promises: ['P2'],
    tag: 'groups',
    access: { kind: 'roles', roles: MANAGERS },
    params: groupParams,
    body: groupPatchSchema,
    response: groupSchema,
    successStatus: 200,
    requiresIfMatch: true,
    audit: { action: 'update', resource: 'group' },
    uses: ['groups'],
    handler: async ({ params, body, headers, principal }, services) => {
      const staff = staffOf(principal);
      const current = await manageableGroup(services, staff, params.groupId);
      const group = await services.groups.update(params.municipalityId, current, body, ifMatchOf(headers));
      const members = [...current.value.studentIds, ...group.value.studentIds, ...current.value.teacherIds, ...group.value.teacherIds];
      // The members before the change too: removing a student from a group is about them.
      return { status: 200, body: group.value, headers: etagHeader(group.etag), auditTargets: [params.groupId, ...members] };
    },
  }),
  defineRoute({
    name: 'delete-group',
    method: 'DELETE',
    path: '/municipalities/{municipalityId}/groups/{groupId}',
    summary: 'Remove an empty group; 409 while it has members',
    description: 'Removes a group without members; a group that still has members answers 409.',
    promises: ['P2'],
    tag: 'groups',
    access: { kind: 'roles', roles: MANAGERS },
    params: groupParams,
    successStatus: 204,
    errorStatuses: [409],
    audit: { action: 'delete', resource: 'group', targets: ({ params }) => [params.groupId] },
    uses: ['groups'],
    handler: async ({ params, principal }, services) => {
      const staff = staffOf(principal);
      await manageableGroup(services, staff, params.groupId);
      await services.groups.delete(params.municipalityId, params.groupId);
      return { status: 204 };
    },
  }),
];
