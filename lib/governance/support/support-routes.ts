import { z } from 'zod';
import {
  supportListQuerySchema,
  supportMessageInputSchema,
  supportRequestInputSchema,
  supportRequestSchema,
  supportSummarySchema,
} from './support-desk.js';
import { problems } from '../../http/problem.js';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import type { Principal } from '../../identity/principal.js';
import { pageOf } from '../../paging/continuation.js';
import { defineRateLimit } from '../../rate-limit/rate-limit-policy.js';

/** Any identity of a trusted issuer may ask for support, registered or not: limited per identity. */
const SUPPORT_REQUESTS = defineRateLimit({ name: 'support-requests', quota: 10, windowSeconds: 3600, per: 'caller' });
const SUPPORT_MESSAGES = defineRateLimit({ name: 'support-messages', quota: 60, windowSeconds: 3600, per: 'caller' });

const requestParams = z.strictObject({ requestId: z.uuid() });

function signedIn(principal: Principal | undefined): Principal {
  if (!principal) throw problems.unauthenticated('a bearer token is required');
  return principal;
}

export const supportRoutes: AnyRoute[] = [
  defineRoute({
    name: 'open-support-request',
    rateLimits: [SUPPORT_REQUESTS],
    method: 'POST',
    path: '/support-requests',
    summary: 'Contact support: a subject and the first message of a thread',
    description: 'Opens a support request with a first message; it is recorded.',
    promises: ['P8'],
    tag: 'support',
    access: { kind: 'authenticated' },
    body: supportRequestInputSchema,
    response: supportRequestSchema,
    successStatus: 201,
    location: true,
    uses: ['governance'],
    handler: async ({ principal, body }, services) => {
      const request = await services.governance.support.open(signedIn(principal), body);
      return { status: 201, body: request, headers: { Location: `/api/support-requests/${request.id}` } };
    },
  }),
  defineRoute({
    name: 'list-support-requests',
    method: 'GET',
    path: '/support-requests',
    summary: "The caller's own support requests; platform operators list a month's requests (month=YYYY-MM)",
    description: 'The caller\'s support requests (an operator: everyone\'s, by month).',
    promises: ['P8'],
    tag: 'support',
    access: { kind: 'authenticated' },
    query: supportListQuerySchema,
    response: pageOf(supportSummarySchema),
    successStatus: 200,
    uses: ['governance'],
    handler: async ({ principal, query }, services) => ({
      status: 200,
      body: await services.governance.support.list(signedIn(principal), query),
    }),
  }),
  defineRoute({
    name: 'get-support-request',
    method: 'GET',
    path: '/support-requests/{requestId}',
    summary: 'One support request with its messages (its requester or an operator; anyone else 404)',
    description: 'One support request with its messages.',
    promises: ['P8'],
    tag: 'support',
    access: { kind: 'authenticated' },
    params: requestParams,
    response: supportRequestSchema,
    successStatus: 200,
    uses: ['governance'],
    handler: async ({ principal, params }, services) => ({
      status: 200,
      body: await services.governance.support.get(signedIn(principal), params.requestId),
    }),
  }),
  defineRoute({
    name: 'add-support-message',
    rateLimits: [SUPPORT_MESSAGES],
    method: 'POST',
    path: '/support-requests/{requestId}/messages',
    summary: 'Add a message to a support thread (its requester or an operator)',
    description: 'Adds a message to a support request.',
    promises: ['P8'],
    tag: 'support',
    access: { kind: 'authenticated' },
    params: requestParams,
    body: supportMessageInputSchema,
    response: supportRequestSchema,
    successStatus: 201,
    errorStatuses: [409],
    uses: ['governance'],
    handler: async ({ principal, params, body }, services) => ({
      status: 201,
      body: await services.governance.support.reply(signedIn(principal), params.requestId, body.text),
    }),
  }),
];
