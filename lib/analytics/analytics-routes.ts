import { analyticsQuerySchema, usageReportSchema } from './usage-analytics.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { tenantParams } from '../http/route-params.js';

export const analyticsRoutes: AnyRoute[] = [
  defineRoute({
    name: 'usage-analytics',
    method: 'GET',
    path: '/municipalities/{municipalityId}/analytics/usage',
    summary: 'Usage events and distinct people per feature, day or school; groups under 5 people are suppressed (P7)',
    description: 'Usage events and distinct people per feature, day or school over a period. A cell of fewer than 5 people is suppressed, so no one can be singled out.',
    promises: ['P7'],
    tag: 'analytics',
    access: { kind: 'roles', roles: ['municipality-admin', 'data-admin'] },
    params: tenantParams,
    query: analyticsQuerySchema,
    response: usageReportSchema,
    successStatus: 200,
    audit: { action: 'read', resource: 'usage-analytics' },
    uses: ['analytics'],
    handler: async ({ params, query }, services) => ({ status: 200, body: await services.analytics.usageReport(params.municipalityId, query) }),
  }),
];
