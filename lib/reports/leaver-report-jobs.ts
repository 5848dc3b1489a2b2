import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import { activityRetry } from '../jobs/activity-retry.js';
import {
  LEAVER_REPORT_EXPIRY_JOB,
  type ExpiryBatchResult,
  type ExpiryCount,
  type ExpiryFinishInput,
  type ExpiryPlan,
  type ExpiryRunInput,
  type LeaverReportExpiry,
  type MunicipalityExpiryInput,
} from './leaver-report-expiry.js';
import {
  STUDENTS_PER_BATCH,
  type GenerationBatchInput,
  type GenerationBatchResult,
  type GenerationFinishInput,
  type GenerationInput,
  type GenerationPlan,
  type LeaverReportGenerator,
} from './leaver-report-generator.js';

/** Function names, shared by the Azure registrations and the local driver. */
export const LEAVER_REPORT_FUNCTIONS = {
  generation: 'leaver-report-generation',
  generationBatchUnit: 'leaver-report-generation-unit',
  generationPlan: 'leaver-report-generation-plan',
  generationBatch: 'leaver-report-generation-batch',
  generationFinish: 'leaver-report-generation-finish',
  expiry: LEAVER_REPORT_EXPIRY_JOB,
  expiryMunicipality: 'leaver-report-expiry-municipality',
  expiryPlan: 'leaver-report-expiry-plan',
  expiryCount: 'leaver-report-expiry-count',
  expiryBatch: 'leaver-report-expiry-batch',
  expiryRepair: 'leaver-report-expiry-repair',
  expiryFinish: 'leaver-report-expiry-finish',
} as const;

const F = LEAVER_REPORT_FUNCTIONS;

/** Expire batches per execution before `continueAsNew` starts a fresh history. */
const BATCHES_PER_EXECUTION = 20;

/** Generation: plan the selection, one sub-orchestration per batch of students (in parallel), then finish. */
const generation: OrchestrationHandler = function* (context) {
  const input = context.df.getInput<GenerationInput>();
  let plan: GenerationPlan = { students: 0 };
  let failedBatches = 0;
  try {
    plan = yield context.df.callActivityWithRetry(F.generationPlan, activityRetry(), input);
  } catch {
    failedBatches = 1;
  }
  const batches = Math.ceil(plan.students / STUDENTS_PER_BATCH);
  const units = Array.from({ length: batches }, (_, batch) =>
    context.df.callSubOrchestrator(F.generationBatchUnit, { ...input, batch } satisfies GenerationBatchInput, `${context.df.instanceId}:batch:${batch}`),
  );
  const results: (GenerationBatchResult | null)[] = units.length > 0 ? yield context.df.Task.all(units) : [];
  const finish: GenerationFinishInput = {
    ...input,
    skipped: results.reduce((total, result) => total + (result?.skipped ?? 0), 0),
    warnings: results.flatMap((result) => result?.warnings ?? []),
    failedBatches: failedBatches + results.filter((result) => result === null).length,
  };
  yield context.df.callActivityWithRetry(F.generationFinish, activityRetry(), finish);
  return finish;
};

/** One batch; null when its retries ran out, so that one bad batch does not stop the others. */
const generationBatchUnit: OrchestrationHandler = function* (context) {
  try {
    const result: GenerationBatchResult = yield context.df.callActivityWithRetry(F.generationBatch, activityRetry(), context.df.getInput<GenerationBatchInput>());
    return result;
  } catch {
    return null;
  }
};

interface MunicipalityState {
  payload: MunicipalityExpiryInput;
  batches: number;
  overdue: number;
}

interface MunicipalityOutcome {
  failures: number;
  overdue: number;
}

/** Expiry: the municipalities from the registry, each in a sub-orchestration, then the finish. */
const expiry: OrchestrationHandler = function* (context) {
  const input = context.df.getInput<ExpiryRunInput>();
  const plan: ExpiryPlan = yield context.df.callActivityWithRetry(F.expiryPlan, activityRetry(), input);
  const units = plan.municipalities.map((municipalityId) =>
    context.df.callSubOrchestrator(
      F.expiryMunicipality,
      { payload: { ...input, municipalityId }, batches: 0, overdue: 0 } satisfies MunicipalityState,
      `${input.runId}:${municipalityId}`,
    ),
  );
  const outcomes: MunicipalityOutcome[] = units.length > 0 ? yield context.df.Task.all(units) : [];
  const finish: ExpiryFinishInput = {
    ...input,
    failures: outcomes.reduce((total, outcome) => total + outcome.failures, 0),
    overdue: outcomes.reduce((total, outcome) => total + outcome.overdue, 0),
  };
  return (yield context.df.callActivityWithRetry(F.expiryFinish, activityRetry(), finish)) as unknown;
};

/**
 * One municipality: count (first execution only), expire batch by batch, then repair.
 * Progress lives in Cosmos and Blob Storage, not in the orchestration: a later execution or
 * a later run finds what is still due and carries on.
 */
const expiryMunicipality: OrchestrationHandler = function* (context) {
  const state = context.df.getInput<MunicipalityState>();
  let overdue = state.overdue;
  if (state.batches === 0) {
    try {
      const counted: ExpiryCount = yield context.df.callActivityWithRetry(F.expiryCount, activityRetry(), state.payload);
      overdue = counted.overdue;
    } catch {
      return { failures: 1, overdue: 0 } satisfies MunicipalityOutcome;
    }
  }
  if (state.payload.dryRun) return { failures: 0, overdue } satisfies MunicipalityOutcome;
  const failed = (): MunicipalityOutcome => ({ failures: 1, overdue });
  try {
    for (let batch = 0; batch < BATCHES_PER_EXECUTION; batch++) {
      const result: ExpiryBatchResult = yield context.df.callActivityWithRetry(F.expiryBatch, activityRetry(), state.payload);
      if (!result.more) {
        yield context.df.callActivityWithRetry(F.expiryRepair, activityRetry(), state.payload);
        return { failures: 0, overdue: 0 } satisfies MunicipalityOutcome;
      }
    }
  } catch {
    // Retries exhausted: what is left stays due for the next run, and counts as overdue if it is.
    return failed();
  }
  context.df.continueAsNew({ ...state, batches: state.batches + BATCHES_PER_EXECUTION, overdue } satisfies MunicipalityState);
  return undefined;
};

export const leaverReportOrchestrators: Readonly<Record<string, OrchestrationHandler>> = {
  [F.generation]: generation,
  [F.generationBatchUnit]: generationBatchUnit,
  [F.expiry]: expiry,
  [F.expiryMunicipality]: expiryMunicipality,
};

/** What the activities work on, resolved per call (the Functions host builds services lazily). */
export interface LeaverReportWork {
  generator: LeaverReportGenerator;
  expiry: LeaverReportExpiry;
}

export function leaverReportActivities(work: () => Promise<LeaverReportWork>): Readonly<Record<string, ActivityHandler>> {
  return {
    [F.generationPlan]: async (input) => (await work()).generator.plan(input as GenerationInput),
    [F.generationBatch]: async (input) => (await work()).generator.batch(input as GenerationBatchInput),
    [F.generationFinish]: async (input) => (await work()).generator.finish(input as GenerationFinishInput),
    [F.expiryPlan]: async (input) => (await work()).expiry.plan(input as ExpiryRunInput),
    [F.expiryCount]: async (input) => (await work()).expiry.count(input as MunicipalityExpiryInput),
    [F.expiryBatch]: async (input) => (await work()).expiry.expire(input as MunicipalityExpiryInput),
    [F.expiryRepair]: async (input) => (await work()).expiry.repair(input as MunicipalityExpiryInput),
    [F.expiryFinish]: async (input) => (await work()).expiry.finish(input as ExpiryFinishInput),
  };
}
