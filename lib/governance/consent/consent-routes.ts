import { z } from 'zod';
import { staffOf } from '../../access/scopes.js';
import { consentDecisionSchema, consentStateSchema } from './consent-store.js';
import { isConsentPurpose, type ConsentPurpose } from './purposes.js';
import { newsletterInputSchema, newsletterReceiptSchema } from '../email/newsletters.js';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import { problems } from '../../http/problem.js';
import { TENANT_ROLES, type Principal } from '../../identity/principal.js';

const purposeParams = z.strictObject({ purpose: z.string().min(1).max(64) });

function purposeOf(value: string): ConsentPurpose {
  if (!isConsentPurpose(value)) throw problems.notFound('No such consent purpose');
  return value;
}

/** Consent belongs to a registered user; the dispatcher has already turned others away (403). */
function subjectOf(principal: Principal | undefined) {
  const staff = staffOf(principal);
  return { municipalityId: staff.municipalityId, userId: staff.userId };
}

export const consentRoutes: AnyRoute[] = [
  defineRoute({
    name: 'list-my-consents',
    method: 'GET',
    path: '/me/consents',
    summary: 'Every consent purpose beyond the privacy statement, with the caller\'s decision on each (P9)',
    description: 'Every purpose beyond running the service that needs consent, with the caller\'s choice on each.',
    promises: ['P9'],
    tag: 'privacy',
    access: { kind: 'roles', roles: TENANT_ROLES },
    response: z.object({ purposes: z.array(consentStateSchema) }),
    successStatus: 200,
    uses: ['governance'],
    handler: async ({ principal }, services) => ({
      status: 200,
      body: { purposes: await services.governance.consents.list(subjectOf(principal)) },
    }),
  }),
  defineRoute({
    name: 'get-my-consent',
    method: 'GET',
    path: '/me/consents/{purpose}',
    summary: "The caller's consent to one purpose, with its history; unknown purposes are 404",
    description: 'The caller\'s consent to one purpose, with every earlier change.',
    promises: ['P9'],
    tag: 'privacy',
    access: { kind: 'roles', roles: TENANT_ROLES },
    params: purposeParams,
    response: consentStateSchema,
    successStatus: 200,
    uses: ['governance'],
    handler: async ({ principal, params }, services) => ({
      status: 200,
      body: await services.governance.consents.get(subjectOf(principal), purposeOf(params.purpose)),
    }),
  }),
  defineRoute({
    name: 'set-my-consent',
    method: 'PUT',
    path: '/me/consents/{purpose}',
    summary: 'Grant or withdraw consent to a purpose; each change is kept in the history',
    description: 'Grants or withdraws consent to a purpose; the change is kept in the history with the policy version in force.',
    promises: ['P9'],
    tag: 'privacy',
    access: { kind: 'roles', roles: TENANT_ROLES },
    params: purposeParams,
    body: consentDecisionSchema,
    response: consentStateSchema,
    successStatus: 200,
    errorStatuses: [409],
    uses: ['governance'],
    handler: async ({ principal, params, body }, services) => ({
      status: 200,
      body: await services.governance.consents.set(subjectOf(principal), purposeOf(params.purpose), body.granted),
    }),
  }),
  defineRoute({
    name: 'send-newsletter',
    method: 'POST',
    path: '/newsletters',
    summary: 'Queue a newsletter for every user who granted the newsletter purpose; sent in the background',
    description: 'Queues a newsletter to every user who consented to the newsletter purpose; it is sent in the background.',
    promises: ['P8', 'P9'],
    tag: 'privacy',
    access: { kind: 'roles', roles: ['platform-operator'] },
    body: newsletterInputSchema,
    response: newsletterReceiptSchema,
    successStatus: 202,
    uses: ['governance'],
    handler: async ({ body }, services) => ({ status: 202, body: await services.governance.newsletters.send(body) }),
  }),
];
