import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import { activityRetry } from '../jobs/activity-retry.js';
import { GOVERNANCE_RETENTION_JOB, type GovernanceRetention, type RetentionBatchResult, type RetentionFinishInput, type RetentionRunInput } from './governance-retention.js';

/** Function names, shared by the Azure registrations and the local driver. */
export const GOVERNANCE_RETENTION_FUNCTIONS = {
  orchestrator: GOVERNANCE_RETENTION_JOB,
  plan: 'governance-retention-plan',
  batch: 'governance-retention-batch',
  finish: 'governance-retention-finish',
} as const;

const F = GOVERNANCE_RETENTION_FUNCTIONS;

/** Batches per execution before `continueAsNew` starts a fresh history. */
const BATCHES_PER_EXECUTION = 20;

type RetentionState = RetentionRunInput & { execution?: number };

/**
 * Plan (count what is due), delete batch after batch until nothing due is left, finish. What
 * is due is found again by every batch, so a new execution or a later run carries on.
 */
const orchestrator: OrchestrationHandler = function* (context) {
  const state = context.df.getInput<RetentionState>();
  const run: RetentionRunInput = { runId: state.runId, asOf: state.asOf, dryRun: state.dryRun };
  const execution = state.execution ?? 0;
  if (execution === 0) yield context.df.callActivityWithRetry(F.plan, activityRetry(), run);
  let failures = 0;
  if (!run.dryRun) {
    try {
      let more = true;
      for (let batch = 0; more && batch < BATCHES_PER_EXECUTION; batch++) {
        const result: RetentionBatchResult = yield context.df.callActivityWithRetry(F.batch, activityRetry(), run);
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
  const finish: RetentionFinishInput = { ...run, failures };
  return yield context.df.callActivityWithRetry(F.finish, activityRetry(), finish);
};

export const governanceRetentionOrchestrators: Readonly<Record<string, OrchestrationHandler>> = { [F.orchestrator]: orchestrator };

export function governanceRetentionActivities(retention: () => Promise<GovernanceRetention>): Readonly<Record<string, ActivityHandler>> {
  return {
    [F.plan]: async (input) => (await retention()).plan(input as RetentionRunInput),
    [F.batch]: async (input) => (await retention()).batch(input as RetentionRunInput),
    [F.finish]: async (input) => (await retention()).finish(input as RetentionFinishInput),
  };
}
