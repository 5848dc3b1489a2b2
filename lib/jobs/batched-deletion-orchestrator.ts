import type { OrchestrationHandler } from 'durable-functions';
import { activityRetry } from './activity-retry.js';

/** The input of a retention job run that deletes what is due in batches. */
export interface BatchedRunInput {
  runId: string;
  asOf: string;
  dryRun: boolean;
}

/** Batches per execution before `continueAsNew` starts a fresh history. */
const BATCHES_PER_EXECUTION = 20;

/**
 * Plan (count what is due), delete batch after batch until nothing due is left, finish. What
 * is due is found again by every batch (progress lives in Cosmos DB), so a new execution or a
 * later run carries on where this one stopped. Retries exhausted: what is left stays due for
 * the next run, and the run finishes with a failure.
 */
export function batchedDeletionOrchestrator(functions: { plan: string; batch: string; finish: string }): OrchestrationHandler {
  return function* (context) {
    const state = context.df.getInput<BatchedRunInput & { execution?: number }>();
    const run: BatchedRunInput = { runId: state.runId, asOf: state.asOf, dryRun: state.dryRun };
    const execution = state.execution ?? 0;
    if (execution === 0) yield context.df.callActivityWithRetry(functions.plan, activityRetry(), run);
    let failures = 0;
    if (!run.dryRun) {
      try {
        let more = true;
        for (let batch = 0; more && batch < BATCHES_PER_EXECUTION; batch++) {
          const result: { more: boolean } = yield context.df.callActivityWithRetry(functions.batch, activityRetry(), run);
          more = result.more;
        }
        if (more) {
          context.df.continueAsNew({ ...run, execution: execution + 1 });
          return undefined;
        }
      } catch {
        failures = 1;
      }
    }
    return yield context.df.callActivityWithRetry(functions.finish, activityRetry(), { ...run, failures });
  };
}
