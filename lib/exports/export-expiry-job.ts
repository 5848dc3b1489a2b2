import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import { EXPORT_EXPIRY_JOB, type ExpiryBatchResult, type ExpiryFinishInput, type ExpiryRunInput, type ExportExpiry } from './export-expiry.js';
import { activityRetry } from '../jobs/activity-retry.js';

/** Function names, shared by the Azure registrations and the local driver. */
export const EXPORT_EXPIRY_FUNCTIONS = {
  orchestrator: EXPORT_EXPIRY_JOB,
  plan: 'export-expiry-plan',
  batch: 'export-expiry-batch',
  finish: 'export-expiry-finish',
} as const;

const F = EXPORT_EXPIRY_FUNCTIONS;

/** Batches per execution before `continueAsNew` starts a fresh history. */
export const EXPIRY_BATCHES_PER_EXECUTION = 20;

/** The run's input, plus how many executions came before (continue-as-new). */
type ExpiryState = ExpiryRunInput & { execution?: number };

/**
 * Plan (count what is due), expire batch after batch until nothing due is left, finish.
 * Progress lives in Cosmos (the expiry index and the run), so a new execution or a later
 * run carries on where this one stopped.
 */
const orchestrator: OrchestrationHandler = function* (context) {
  const state = context.df.getInput<ExpiryState>();
  const run: ExpiryRunInput = { runId: state.runId, asOf: state.asOf, dryRun: state.dryRun };
  const execution = state.execution ?? 0;
  if (execution === 0) yield context.df.callActivityWithRetry(F.plan, activityRetry(), run);
  let failures = 0;
  if (!run.dryRun) {
    try {
      let more = true;
      for (let batch = 0; more && batch < EXPIRY_BATCHES_PER_EXECUTION; batch++) {
        const result: ExpiryBatchResult = yield context.df.callActivityWithRetry(F.batch, activityRetry(), run);
        more = result.more;
      }
      if (more) {
        context.df.continueAsNew({ ...run, execution: execution + 1 });
        return undefined;
      }
    } catch {
      // Retries exhausted: what is left stays due for the next run.
      failures = 1;
    }
  }
  const finish: ExpiryFinishInput = { ...run, failures };
  return yield context.df.callActivityWithRetry(F.finish, activityRetry(), finish);
};

export const exportExpiryOrchestrators: Readonly<Record<string, OrchestrationHandler>> = {
  [F.orchestrator]: orchestrator,
};

/** Activity handlers over an expiry resolved per call (the Functions host builds services lazily). */
export function exportExpiryActivities(expiry: () => Promise<ExportExpiry>): Readonly<Record<string, ActivityHandler>> {
  return {
    [F.plan]: async (input) => (await expiry()).plan(input as ExpiryRunInput),
    [F.batch]: async (input) => (await expiry()).batch(input as ExpiryRunInput),
    [F.finish]: async (input) => (await expiry()).finish(input as ExpiryFinishInput),
  };
}
