import { staffOf } from '../access/scopes.js';
import { analyticsQuerySchema, usageReportSchema } from './usage-analytics.js';
import { auditEvent } from '../audit/audit-log.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { tenantParams } from '../http/route-params.js';

export const analyticsRoutes: AnyRoute[] = [
  defineRoute({
    name: 'usage-analytics',
    method: 'GET',
    path: '/municipalities/{municipalityId}/analytics/usage',
    summary: 'Usage events and distinct people per feature, day or school; groups under 5 people are suppressed (P7)',
    tag: 'analytics',
    access: { kind: 'roles', roles: ['municipality-admin', 'data-admin'] },
    params: tenantParams,
    query: analyticsQuerySchema,
    response: usageReportSchema,
    successStatus: 200,
    uses: ['analytics', 'audit'],
    handler: async ({ params, query, principal }, services) => {
      const staff = staffOf(principal);
      const report = await services.analytics.usageReport(params.municipalityId, query);
      await services.audit.record(auditEvent(staff, 'read', 'usage-analytics', []));
      return { status: 200, body: report };
    },
  }),
];
