import { staffOf } from '../../lib/access/scopes.js';
import { analyticsQuerySchema, usageReportSchema } from '../../lib/analytics/usage-analytics.js';
import { auditEvent } from '../../lib/audit/audit-log.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { tenantParams } from './params.js';

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
    handler: async ({ params, query, principal }, services) => {
      const staff = staffOf(principal);
      const report = await services.analytics.usageReport(params.municipalityId, query);
      await services.audit.record(auditEvent(staff, 'read', 'usage-analytics', []));
      return { status: 200, body: report };
    },
  }),
];
