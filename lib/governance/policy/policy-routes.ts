import { z } from 'zod';
import { staffOf } from '../../access/scopes.js';
import { acceptanceReceiptSchema } from './policy-acceptances.js';
import {
  policyArchiveEntrySchema,
  policyLanguageSchema,
  policyTextSchema,
  policyVersionInputSchema,
  policyVersionSchema,
} from './policy-versions.js';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import { TENANT_ROLES } from '../../identity/principal.js';
import { pageOf, pagingQuery } from '../../paging/continuation.js';

const languageQuery = z.strictObject({ language: policyLanguageSchema.optional() });

export const policyRoutes: AnyRoute[] = [
  defineRoute({
    name: 'publish-policy-version',
    method: 'POST',
    path: '/privacy-policy/versions',
    summary: 'Publish a privacy-policy version in one language; immutable once published; a major change emails every user',
    description: 'Publishes a privacy-policy version in one language. A major change is announced by email to every user; a version that reduces rights applies to a user only once they accept it. Versions are archived and never change.',
    promises: ['P18'],
    tag: 'privacy',
    access: { kind: 'roles', roles: ['platform-operator'] },
    body: policyVersionInputSchema,
    response: policyTextSchema,
    successStatus: 201,
    location: true,
    errorStatuses: [409],
    uses: ['governance'],
    handler: async ({ body }, services) => {
      const text = await services.governance.policyAnnouncements.publish(body);
      return { status: 201, body: text, headers: { Location: `/api/privacy-policy/versions/${encodeURIComponent(text.version)}` } };
    },
  }),
  defineRoute({
    name: 'current-policy',
    method: 'GET',
    path: '/privacy-policy',
    summary: 'The privacy policy in force now (nb unless another published language is asked for)',
    description: 'The privacy-policy version in force now, in the asked language.',
    promises: ['P18'],
    tag: 'privacy',
    access: { kind: 'public' },
    query: languageQuery,
    response: policyTextSchema,
    successStatus: 200,
    uses: ['governance'],
    handler: async ({ query }, services) => ({
      status: 200,
      body: await services.governance.policyVersions.current(query.language),
    }),
  }),
  defineRoute({
    name: 'list-policy-versions',
    method: 'GET',
    path: '/privacy-policy/versions',
    summary: 'The archive of every published version and language, newest first',
    description: 'Every published version, the archive of the policy.',
    promises: ['P18'],
    tag: 'privacy',
    access: { kind: 'public' },
    query: z.strictObject(pagingQuery),
    response: pageOf(policyArchiveEntrySchema),
    successStatus: 200,
    uses: ['governance'],
    handler: async ({ query }, services) => ({ status: 200, body: await services.governance.policyVersions.list(query) }),
  }),
  defineRoute({
    name: 'get-policy-version',
    method: 'GET',
    path: '/privacy-policy/versions/{version}',
    summary: 'One archived version (nb unless another published language is asked for)',
    description: 'One archived version of the policy, in the asked language.',
    promises: ['P18'],
    tag: 'privacy',
    access: { kind: 'public' },
    params: z.strictObject({ version: policyVersionSchema }),
    query: languageQuery,
    response: policyTextSchema,
    successStatus: 200,
    uses: ['governance'],
    handler: async ({ params, query }, services) => ({
      status: 200,
      body: await services.governance.policyVersions.text(params.version, query.language),
    }),
  }),
  defineRoute({
    name: 'accept-policy-version',
    method: 'POST',
    path: '/me/policy-acceptances',
    summary: 'Accept a privacy-policy version (and every one before it); a rights-reducing version applies only after this',
    description: 'Records that the caller accepts a version; a version that reduces rights applies to them from then.',
    promises: ['P18'],
    tag: 'privacy',
    access: { kind: 'roles', roles: TENANT_ROLES },
    body: z.strictObject({ version: policyVersionSchema }),
    response: acceptanceReceiptSchema,
    successStatus: 201,
    uses: ['governance'],
    handler: async ({ principal, body }, services) => {
      const staff = staffOf(principal);
      const { receipt, created } = await services.governance.policyAcceptances.accept(
        { municipalityId: staff.municipalityId, userId: staff.userId },
        body.version,
      );
      return { status: created ? 201 : 200, body: receipt };
    },
  }),
];
