import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { jobRunSchema } from './job-runs.js';
import { jobNameSchema, jobRunRequestSchema, runIdSchema } from './job-service.js';

const operator = { kind: 'roles', roles: ['platform-operator'] } as const;

// Not under /admin: the Functions host reserves every route that starts with `admin`.
export const jobRoutes: AnyRoute[] = [
  defineRoute({
    name: 'start-job-run',
    method: 'POST',
    path: '/operations/jobs/{job}/runs',
    summary: 'Run a retention job now, optionally as of a day (future days in local mode only) or as a dry run',
    description: 'Starts a retention job now instead of waiting for its schedule, optionally as a dry run. Answers 202 with Location of the run to follow.',
    promises: ['P10', 'P4'],
    tag: 'jobs',
    access: operator,
    params: z.strictObject({ job: jobNameSchema }),
    body: jobRunRequestSchema,
    response: z.object({ id: z.string() }),
    successStatus: 202,
    location: true,
    uses: ['jobs'],
    handler: async ({ params, body }, services) => {
      const id = await services.jobs.startRun(params.job, body, 'operator');
      return { status: 202, body: { id }, headers: { Location: `/api/operations/jobs/${params.job}/runs/${id}` } };
    },
  }),
  defineRoute({
    name: 'get-job-run',
    method: 'GET',
    path: '/operations/jobs/{job}/runs/{id}',
    summary: 'Progress of a job run: status, accounts processed and remaining, failures',
    description: 'Progress of a job run.',
    promises: ['P10', 'P4'],
    tag: 'jobs',
    access: operator,
    params: z.strictObject({ job: jobNameSchema, id: runIdSchema }),
    response: jobRunSchema,
    successStatus: 200,
    uses: ['jobs'],
    handler: async ({ params }, services) => ({ status: 200, body: await services.jobs.getRun(params.job, params.id) }),
  }),
];
