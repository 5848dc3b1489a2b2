import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import { z } from 'zod';
import { problems } from '../http/problem.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { activityRetry } from '../jobs/activity-retry.js';
import type { Services } from '../services.js';
import { ErasureReapply, type ReapplyResult } from './erasure-reapply.js';

/** Function names, shared by the Azure registrations and the local driver. */
export const ERASURE_REAPPLY_FUNCTIONS = {
  orchestrator: 'erasure-reapply',
  plan: 'erasure-reapply-plan',
  municipality: 'erasure-reapply-municipality',
} as const;

const F = ERASURE_REAPPLY_FUNCTIONS;

interface ReapplyInput {
  restoredTo: string;
}

/** Totals of one run: counts only. */
export interface ReapplySummary {
  municipalities: number;
  erasures: number;
  subjects: number;
  accepted: number;
}

/** One activity per municipality, so a run's length grows with municipalities, not inside one activity. */
const orchestrator: OrchestrationHandler = function* (context) {
  const input = context.df.getInput<ReapplyInput>();
  const municipalities: string[] = yield context.df.callActivityWithRetry(F.plan, activityRetry(), input);
  const summary: ReapplySummary = { municipalities: municipalities.length, erasures: 0, subjects: 0, accepted: 0 };
  for (const municipalityId of municipalities) {
    const result: ReapplyResult = yield context.df.callActivityWithRetry(F.municipality, activityRetry(), { ...input, municipalityId });
    summary.erasures += result.erasures;
    summary.subjects += result.subjects;
    summary.accepted += result.accepted.length;
  }
  return summary;
};

export const erasureReapplyOrchestrators: Readonly<Record<string, OrchestrationHandler>> = { [F.orchestrator]: orchestrator };

export function erasureReapplyActivities(services: () => Promise<Services>): Readonly<Record<string, ActivityHandler>> {
  const reapply = async () => {
    const { cosmos, erasures, municipalities, logger } = await services();
    return new ErasureReapply({ directory: cosmos.containers.directory, erasures, municipalities, logger });
  };
  return {
    [F.plan]: async () => (await reapply()).municipalities(),
    [F.municipality]: async (input) => {
      const { municipalityId, restoredTo } = input as ReapplyInput & { municipalityId: string };
      return (await reapply()).reapply(municipalityId, restoredTo);
    },
  };
}

/** One run per restore point: starting it again while it runs finds the running one. */
function instanceIdOf(restoredTo: Date): string {
  return `erasure-reapply-${restoredTo.getTime()}`;
}

const operator = { kind: 'roles', roles: ['platform-operator'] } as const;
// Only re-apply runs: an operator must not read the state of other orchestrations (erasures, report runs) here.
const runIdSchema = z.string().regex(/^erasure-reapply-\d{1,16}$/);
const runSchema = z.object({ id: z.string(), state: z.enum(['pending', 'running', 'completed', 'failed']) });

export const erasureReapplyRoutes: AnyRoute[] = [
  defineRoute({
    name: 'start-erasure-reapply',
    method: 'POST',
    path: '/operations/erasure-reapply',
    summary: 'After a restore: erase again everyone an erasure accepted at or after the restore point had erased',
    description:
      'Runs after a point-in-time restore, once the erasure records accepted after the restore point are copied into the restored account (docs/operations.md, "Restore from a backup"). Idempotent: subjects already being erased are left alone.',
    promises: ['P3', 'P16'],
    tag: 'erasure',
    access: operator,
    body: z.strictObject({ restoredTo: z.iso.datetime({ offset: true }) }),
    response: runSchema,
    successStatus: 202,
    uses: ['jobs'],
    handler: async ({ body }, { jobs }) => {
      const restoredTo = new Date(body.restoredTo);
      const id = instanceIdOf(restoredTo);
      const state = await jobs.scheduler.state(id);
      if (state !== 'pending' && state !== 'running') {
        await jobs.scheduler.start(F.orchestrator, { restoredTo: restoredTo.toISOString() } satisfies ReapplyInput, id);
      }
      const now: 'running' | 'pending' = state === 'running' ? 'running' : 'pending';
      return { status: 202, body: { id, state: now }, headers: { Location: `/api/operations/erasure-reapply/${id}` } };
    },
  }),
  defineRoute({
    name: 'get-erasure-reapply',
    method: 'GET',
    path: '/operations/erasure-reapply/{id}',
    summary: 'Where a re-apply run stands',
    description: 'The state of a re-apply run started after a restore: pending, running, completed or failed.',
    promises: ['P3', 'P16'],
    tag: 'erasure',
    access: operator,
    params: z.strictObject({ id: runIdSchema }),
    response: runSchema,
    successStatus: 200,
    uses: ['jobs'],
    handler: async ({ params }, { jobs }) => {
      const state = await jobs.scheduler.state(params.id);
      if (!state) throw problems.notFound();
      return { status: 200, body: { id: params.id, state } };
    },
  }),
];
