import type * as df from 'durable-functions';
import type { ActivityHandler, OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { activityRetry } from '../jobs/activity-retry.js';
import {
  USAGE_ANONYMISATION_JOB,
  type BatchResult,
  type FinishInput,
  type MunicipalityInput,
  type Plan,
  type RunInput,
  type RunSummary,
  type UsageAnonymiser,
} from './usage-anonymiser.js';

/** Function names, shared by the Azure registrations and the local driver. */
export const USAGE_ANONYMISATION_FUNCTIONS = {
  orchestrator: USAGE_ANONYMISATION_JOB,
  municipality: 'usage-anonymisation-municipality',
  platformLogs: 'usage-anonymisation-platform-logs',
  plan: 'usage-anonymisation-plan',
  count: 'usage-anonymisation-count',
  batch: 'usage-anonymisation-batch',
  sweep: 'usage-anonymisation-sweep',
  finish: 'usage-anonymisation-finish',
} as const;

const F = USAGE_ANONYMISATION_FUNCTIONS;

/** Batches per execution before `continueAsNew` starts a fresh history. */
export const BATCHES_PER_EXECUTION = 20;

interface DrainState<T> {
  payload: T;
  batches: number;
  records: number;
}

interface DrainOutcome {
  failures: number;
}

/**
 * Calls `activity` until it reports no more work, continuing as new every
 * BATCHES_PER_EXECUTION batches so the history stays short however long the backlog.
 * Progress lives in Cosmos (ledger, markers, job run), not in the orchestration: a new
 * execution or a later run picks up where this one stopped.
 */
function* drain<T>(context: OrchestrationContext, activity: string, state: DrainState<T>): Generator<df.Task, DrainOutcome | undefined, BatchResult> {
  try {
    for (let batch = 0; batch < BATCHES_PER_EXECUTION; batch++) {
      const result: BatchResult = yield context.df.callActivityWithRetry(activity, activityRetry(), state.payload);
      state = { ...state, batches: state.batches + 1, records: state.records + result.records };
      if (!result.more) return { failures: 0 };
    }
  } catch {
    // Retries exhausted: this unit stops; its ledger entries stay due for the next run.
    return { failures: 1 };
  }
  context.df.continueAsNew(state);
  return undefined;
}

const orchestrator: OrchestrationHandler = function* (context) {
  const input = context.df.getInput<RunInput>();
  const plan: Plan = yield context.df.callActivityWithRetry(F.plan, activityRetry(), input);
  const units: df.Task[] = plan.municipalities.map((municipalityId) => {
    const payload: MunicipalityInput = { runId: input.runId, municipalityId, cutoffDay: plan.cutoffDay };
    return context.df.callSubOrchestrator(F.municipality, { payload, batches: 0, records: 0, dryRun: input.dryRun }, `${input.runId}:${municipalityId}`);
  });
  if (!input.dryRun) {
    units.push(context.df.callSubOrchestrator(F.platformLogs, { payload: input, batches: 0, records: 0 }, `${input.runId}:platform-logs`));
  }
  const outcomes: DrainOutcome[] = units.length > 0 ? yield context.df.Task.all(units) : [];
  const finish: FinishInput = { ...input, cutoffDay: plan.cutoffDay, failures: outcomes.reduce((total, outcome) => total + outcome.failures, 0) };
  const summary: RunSummary = yield context.df.callActivityWithRetry(F.finish, activityRetry(), finish);
  return summary;
};

/** One municipality: count what is due (first execution only), then anonymise it batch by batch. */
const municipality: OrchestrationHandler = function* (context) {
  const state = context.df.getInput<DrainState<MunicipalityInput> & { dryRun: boolean }>();
  if (state.batches === 0) {
    try {
      yield context.df.callActivityWithRetry(F.count, activityRetry(), state.payload);
    } catch {
      return { failures: 1 };
    }
  }
  if (state.dryRun) return { failures: 0 };
  return yield* drain(context, F.batch, state);
};

const platformLogs: OrchestrationHandler = function* (context) {
  return yield* drain(context, F.sweep, context.df.getInput<DrainState<RunInput>>());
};

export const usageAnonymisationOrchestrators: Readonly<Record<string, OrchestrationHandler>> = {
  [F.orchestrator]: orchestrator,
  [F.municipality]: municipality,
  [F.platformLogs]: platformLogs,
};

/** Activity handlers over an anonymiser resolved per call (the Functions host builds services lazily). */
export function usageAnonymisationActivities(anonymiser: () => Promise<UsageAnonymiser>): Readonly<Record<string, ActivityHandler>> {
  return {
    [F.plan]: async (input) => (await anonymiser()).plan(input as RunInput),
    [F.count]: async (input) => (await anonymiser()).count(input as MunicipalityInput),
    [F.batch]: async (input) => (await anonymiser()).batch(input as MunicipalityInput),
    [F.sweep]: async (input) => (await anonymiser()).sweepPlatformLogs(input as RunInput),
    [F.finish]: async (input) => (await anonymiser()).finish(input as FinishInput),
  };
}
