import { z } from 'zod';
import { idsOf } from '../audit/audit-actor.js';
import { schoolInputSchema, schoolPatchSchema, schoolSchema } from './schools.js';
import { etagHeader, ifMatchOf } from '../http/etag.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { TENANT_ROLES } from '../identity/principal.js';
import { pageOf, pagingQuery } from '../paging/continuation.js';
import { schoolParams, tenantParams } from '../http/route-params.js';

const MANAGERS = ['municipality-admin'] as const;

/** Schools hold no personal data: every staff role of the municipality may read them. */
export const schoolRoutes: AnyRoute[] = [
  defineRoute({
    name: 'list-schools',
    method: 'GET',
    path: '/municipalities/{municipalityId}/schools',
    summary: 'Schools of the municipality',
    description: 'The schools (skoler) of the municipality, a page at a time.',
    promises: ['P2'],
    tag: 'schools',
    access: { kind: 'roles', roles: TENANT_ROLES },
    params: tenantParams,
    query: z.strictObject(pagingQuery),
    response: pageOf(schoolSchema),
    successStatus: 200,
    uses: ['schools'],
    handler: async ({ params, query }, services) => ({ status: 200, body: await services.schools.list(params.municipalityId, query) }),
  }),
  defineRoute({
    name: 'create-school',
    method: 'POST',
    path: '/municipalities/{municipalityId}/schools',
    summary: 'Register a school',
    description: 'Registers a school with its organisasjonsnummer. Answers 201 with Location and ETag.',
    promises: ['P2'],
    tag: 'schools',
    access: { kind: 'roles', roles: MANAGERS },
    params: tenantParams,
    body: schoolInputSchema,
    response: schoolSchema,
    successStatus: 201,
    location: true,
    audit: { action: 'create', resource: 'school', targets: (_request, school) => idsOf(school) },
    uses: ['schools'],
    handler: async ({ params, body }, services) => {
      const school = await services.schools.create(params.municipalityId, body);
      return {
        status: 201,
        body: school.value,
        headers: { ...etagHeader(school.etag), Location: `/api/municipalities/${params.municipalityId}/schools/${school.value.id}` },
      };
    },
  }),
  defineRoute({
    name: 'get-school',
    method: 'GET',
    path: '/municipalities/{municipalityId}/schools/{schoolId}',
    summary: 'One school',
    description: 'One school, with its ETag.',
    promises: ['P2'],
    tag: 'schools',
    access: { kind: 'roles', roles: TENANT_ROLES },
    params: schoolParams,
    response: schoolSchema,
    successStatus: 200,
    uses: ['schools'],
    handler: async ({ params }, services) => {
      const school = await services.schools.get(params.municipalityId, params.schoolId);
      return { status: 200, body: school.value, headers: etagHeader(school.etag) };
    },
  }),
  defineRoute({
    name: 'update-school',
    method: 'PATCH',
    path: '/municipalities/{municipalityId}/schools/{schoolId}',
    summary: 'Change a school (JSON merge patch); needs If-Match',
    description: 'Renames a school or changes its organisasjonsnummer (JSON merge patch); needs If-Match.',
    promises: ['P2'],
    tag: 'schools',
    access: { kind: 'roles', roles: MANAGERS },
    params: schoolParams,
    body: schoolPatchSchema,
    response: schoolSchema,
    successStatus: 200,
    requiresIfMatch: true,
    audit: { action: 'update', resource: 'school', targets: ({ params }) => [params.schoolId] },
    uses: ['schools'],
    handler: async ({ params, body, headers }, services) => {
      const school = await services.schools.update(params.municipalityId, params.schoolId, body, ifMatchOf(headers));
      return { status: 200, body: school.value, headers: etagHeader(school.etag) };
    },
  }),
  defineRoute({
    name: 'delete-school',
    method: 'DELETE',
    path: '/municipalities/{municipalityId}/schools/{schoolId}',
    summary: 'Remove a school; 409 while it has students, groups or staff',
    description: 'Removes an empty school; a school that still has students, groups or staff answers 409.',
    promises: ['P2'],
    tag: 'schools',
    access: { kind: 'roles', roles: MANAGERS },
    params: schoolParams,
    successStatus: 204,
    errorStatuses: [409],
    audit: { action: 'delete', resource: 'school', targets: ({ params }) => [params.schoolId] },
    uses: ['schools'],
    handler: async ({ params }, services) => {
      await services.schools.delete(params.municipalityId, params.schoolId);
      return { status: 204 };
    },
  }),
];
