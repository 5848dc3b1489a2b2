import { z } from 'zod';
import { auditEntrySchema, monthSchema } from './audit-log.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { pageOf, pagingQuery } from '../paging/continuation.js';
import { tenantParams } from '../http/route-params.js';

export const auditRoutes: AnyRoute[] = [
  defineRoute({
    name: 'list-audit',
    method: 'GET',
    path: '/municipalities/{municipalityId}/audit',
    summary: 'Who read or changed what, newest first, one month at a time (default: this month)',
    description: 'The municipality\'s audit log: every read and change of personal data, who did it and in which role, newest first, one month at a time, optionally for one id.',
    promises: ['P1', 'P5'],
    tag: 'audit',
    access: { kind: 'roles', roles: ['data-admin'] },
    params: tenantParams,
    query: z.strictObject({ ...pagingQuery, month: monthSchema.optional(), targetId: z.string().min(1).max(64).optional() }),
    response: pageOf(auditEntrySchema),
    successStatus: 200,
    uses: ['audit'],
    handler: async ({ params, query }, services) => ({
      status: 200,
      body: await services.audit.list(params.municipalityId, query.month, { targetId: query.targetId }, query),
    }),
  }),
  defineRoute({
    name: 'list-operator-actions',
    method: 'GET',
    path: '/municipalities/{municipalityId}/operator-actions',
    summary: "What platform operators (the processor's staff) did in this municipality, newest first, one month at a time: every operator write is here",
    description: 'Everything platform operators did in this municipality, so the controller can check the processor.',
    promises: ['P1'],
    tag: 'audit',
    access: { kind: 'roles', roles: ['municipality-admin', 'data-admin'] },
    params: tenantParams,
    query: z.strictObject({ ...pagingQuery, month: monthSchema.optional() }),
    response: pageOf(auditEntrySchema),
    successStatus: 200,
    uses: ['audit'],
    handler: async ({ params, query }, services) => ({
      status: 200,
      body: await services.audit.list(params.municipalityId, query.month, { actorRole: 'platform-operator' }, query),
    }),
  }),
];
