import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { jobRunSchema } from '../../lib/jobs/job-runs.js';
import { jobNameSchema, jobRunRequestSchema, runIdSchema } from '../../lib/jobs/job-service.js';

const operator = { kind: 'roles', roles: ['platform-operator'] } as const;

/** Route names whose Azure registration needs the Durable Functions client binding. */
export const JOB_ROUTE_NAMES = ['start-job-run', 'get-job-run'] as const;

export const jobRoutes: AnyRoute[] = [
  defineRoute({
    name: 'start-job-run',
    method: 'POST',
    path: '/admin/jobs/{job}/runs',
    summary: 'Run a retention job now, optionally as of a day (future days in local mode only) or as a dry run',
    tag: 'jobs',
    access: operator,
    params: z.strictObject({ job: jobNameSchema }),
    body: jobRunRequestSchema,
    response: z.object({ id: z.string() }),
    successStatus: 202,
    handler: async ({ params, body }, services) => {
      const id = await services.jobs.startRun(params.job, body, 'operator');
      return { status: 202, body: { id }, headers: { Location: `/api/admin/jobs/${params.job}/runs/${id}` } };
    },
  }),
  defineRoute({
    name: 'get-job-run',
    method: 'GET',
    path: '/admin/jobs/{job}/runs/{id}',
    summary: 'Progress of a job run: status, accounts processed and remaining, failures',
    tag: 'jobs',
    access: operator,
    params: z.strictObject({ job: jobNameSchema, id: runIdSchema }),
    response: jobRunSchema,
    successStatus: 200,
    handler: async ({ params }, services) => ({ status: 200, body: await services.jobs.getRun(params.job, params.id) }),
  }),
];
