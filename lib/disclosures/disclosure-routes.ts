import { z } from 'zod';
import { staffOf } from '../access/scopes.js';
import { idsOf } from '../audit/audit-actor.js';
import { disclosureInputSchema, disclosureSchema } from './disclosure-model.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { pageOf, pagingQuery } from '../paging/continuation.js';
import { tenantParams } from '../http/route-params.js';

const DATA_ADMIN = { kind: 'roles', roles: ['data-admin'] } as const;

export const disclosureRoutes: AnyRoute[] = [
  defineRoute({
    name: 'register-disclosure',
    method: 'POST',
    path: '/municipalities/{municipalityId}/disclosures',
    summary: 'Register a disclosure to a third party: recipient, legal basis, reference, data categories, subjects (P13)',
    description: 'Registers a disclosure (utlevering) of personal data to a third party, with its legal basis and reference. Exports to a third party need one.',
    promises: ['P13'],
    tag: 'disclosures',
    access: DATA_ADMIN,
    params: tenantParams,
    body: disclosureInputSchema,
    response: disclosureSchema,
    successStatus: 201,
    location: true,
    audit: { action: 'create', resource: 'disclosure', targets: (_request, disclosure) => [...idsOf(disclosure), ...disclosure.subjectIds] },
    uses: ['disclosures'],
    handler: async ({ body, principal }, services) => {
      const staff = staffOf(principal);
      const disclosure = await services.disclosures.register(staff, body);
      return {
        status: 201,
        body: disclosure,
        headers: { Location: `/api/municipalities/${disclosure.municipalityId}/disclosures/${disclosure.id}` },
      };
    },
  }),
  defineRoute({
    name: 'list-disclosures',
    method: 'GET',
    path: '/municipalities/{municipalityId}/disclosures',
    summary: 'The disclosure register, newest first; `subjectId` lists the disclosures that include one person',
    description: 'The register of disclosures, optionally for one person.',
    promises: ['P13'],
    tag: 'disclosures',
    access: DATA_ADMIN,
    params: tenantParams,
    query: z.strictObject({ ...pagingQuery, subjectId: z.uuid().optional() }),
    response: pageOf(disclosureSchema),
    successStatus: 200,
    uses: ['disclosures'],
    handler: async ({ params, query }, services) => ({
      status: 200,
      body: await services.disclosures.list(params.municipalityId, query.subjectId, query),
    }),
  }),
  defineRoute({
    name: 'get-disclosure',
    method: 'GET',
    path: '/municipalities/{municipalityId}/disclosures/{disclosureId}',
    summary: 'One registered disclosure',
    description: 'One registered disclosure.',
    promises: ['P13'],
    tag: 'disclosures',
    access: DATA_ADMIN,
    params: tenantParams.extend({ disclosureId: z.uuid() }),
    response: disclosureSchema,
    successStatus: 200,
    uses: ['disclosures'],
    handler: async ({ params }, services) => ({
      status: 200,
      body: await services.disclosures.get(params.municipalityId, params.disclosureId),
    }),
  }),
];
