import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../http/route.js';

const healthSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  version: z.string(),
  checks: z.object({ cosmos: z.enum(['ok', 'unavailable']), blob: z.enum(['ok', 'unavailable']) }),
});

export const healthRoutes: AnyRoute[] = [
  defineRoute({
    name: 'health',
    method: 'GET',
    path: '/health',
    summary: 'Status of Cosmos DB and Blob Storage; 503 names the one that failed',
    description: 'Checks the database and file storage. 200 when both answer, 503 naming the one that failed. For availability monitoring; no token.',
    promises: ['P12'],
    tag: 'operations',
    access: { kind: 'public' },
    response: healthSchema,
    successStatus: 200,
    uses: ['health'],
    handler: async (_request, services) => {
      const report = await services.health();
      if (report.status === 'ok') return { status: 200, body: report };
      return {
        status: 503,
        raw: JSON.stringify({
          type: 'urn:engage:problem:unhealthy',
          title: 'Service unavailable',
          status: 503,
          detail: `Unavailable: ${Object.entries(report.checks).filter(([, s]) => s !== 'ok').map(([n]) => n).join(', ')}`,
          version: report.version,
          checks: report.checks,
        }),
        contentType: 'application/problem+json; charset=utf-8',
        headers: { 'Retry-After': '10' },
      };
    },
  }),
];
