import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { problems } from '../http/problem.js';
import { ROLES } from '../identity/principal.js';
import { pageOf, pagingQuery } from '../paging/continuation.js';
import { municipalityInputSchema, municipalitySchema } from './municipalities.js';
import { settingsPatchSchema, settingsSchema } from '../directory/settings.js';
import { etagHeader, ifMatchOf } from '../http/etag.js';
import { tenantParams } from '../http/route-params.js';


export const municipalityRoutes: AnyRoute[] = [
  defineRoute({
    name: 'register-municipality',
    method: 'POST',
    path: '/municipalities',
    summary: 'Register a municipality (tenant); 409 if it exists',
    description: 'Registers a municipality (kommune) by its kommunenummer so that its first admin can be added. The operator sees no personal data of it afterwards.',
    promises: ['P1'],
    tag: 'tenants',
    access: { kind: 'roles', roles: ['platform-operator'] },
    body: municipalityInputSchema,
    response: municipalitySchema,
    successStatus: 201,
    location: true,
    errorStatuses: [409],
    // The tenant's own log records that, and by which operator, it was registered.
    audit: { action: 'create', resource: 'municipality', targets: (_request, municipality) => [municipality.id], municipality: (_request, municipality) => municipality.id },
    uses: ['municipalities', 'settings'],
    handler: async ({ body }, services) => {
      const municipality = await services.municipalities.register(body);
      await services.settings.initialise(municipality.id);
      return { status: 201, body: municipality, headers: { Location: `/api/municipalities/${municipality.id}` } };
    },
  }),
  defineRoute({
    name: 'list-municipalities',
    method: 'GET',
    path: '/municipalities',
    summary: 'Platform operators list every municipality; staff see their own',
    description: 'The municipalities the caller belongs to; a platform operator sees every municipality (ids and names only).',
    promises: ['P1'],
    tag: 'tenants',
    access: { kind: 'roles', roles: ROLES },
    query: z.strictObject(pagingQuery),
    response: pageOf(municipalitySchema),
    successStatus: 200,
    uses: ['municipalities'],
    handler: async ({ query, principal }, services) => {
      if (principal?.kind === 'operator') return { status: 200, body: await services.municipalities.list(query) };
      if (principal?.kind !== 'staff') throw problems.forbidden();
      const own = await services.municipalities.find(principal.municipalityId);
      return { status: 200, body: { items: own ? [own] : [], continuationToken: null } };
    },
  }),
  defineRoute({
    name: 'get-municipality',
    method: 'GET',
    path: '/municipalities/{municipalityId}',
    summary: 'One municipality',
    description: 'One municipality\'s id and name.',
    promises: ['P1'],
    tag: 'tenants',
    access: { kind: 'roles', roles: ROLES },
    params: tenantParams,
    response: municipalitySchema,
    successStatus: 200,
    uses: ['municipalities'],
    handler: async ({ params }, services) => ({ status: 200, body: await services.municipalities.get(params.municipalityId) }),
  }),
  defineRoute({
    name: 'get-settings',
    method: 'GET',
    path: '/municipalities/{municipalityId}/settings',
    summary: "The controller's settings: student visibility and leaver-report retention",
    description: 'The controller\'s settings: which students teachers see (studentVisibility), how long leaver reports are kept, which year levels get them. Answers with an ETag for the PATCH.',
    promises: ['P5', 'P4'],
    tag: 'tenants',
    access: { kind: 'roles', roles: ['data-admin'] },
    params: tenantParams,
    response: settingsSchema,
    successStatus: 200,
    uses: ['settings'],
    handler: async ({ params }, services) => {
      const settings = await services.settings.get(params.municipalityId);
      return { status: 200, body: settings.value, headers: etagHeader(settings.etag) };
    },
  }),
  defineRoute({
    name: 'update-settings',
    method: 'PATCH',
    path: '/municipalities/{municipalityId}/settings',
    summary: 'Change settings (JSON merge patch); needs If-Match',
    description: 'Changes the controller\'s settings with a JSON merge patch. Send the ETag of your read as If-Match; a concurrent change answers 412.',
    promises: ['P5', 'P4'],
    tag: 'tenants',
    access: { kind: 'roles', roles: ['data-admin'] },
    params: tenantParams,
    body: settingsPatchSchema,
    response: settingsSchema,
    successStatus: 200,
    requiresIfMatch: true,
    uses: ['settings'],
    handler: async ({ params, body, headers }, services) => {
      const settings = await services.settings.update(params.municipalityId, body, ifMatchOf(headers));
      return { status: 200, body: settings.value, headers: etagHeader(settings.etag) };
    },
  }),
];
