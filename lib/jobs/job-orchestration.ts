import type { OrchestrationHandler } from 'durable-functions';
import { activityRetry } from './activity-retry.js';

/** The activity that records a run as failed and signals it: registered by the jobs feature. */
export const JOB_RUN_FAILED_ACTIVITY = 'job-run-failed';

export interface JobRunFailedInput {
  jobName: string;
  runId: string;
  dryRun: boolean;
}

/**
 * A retention job's orchestrator, made loud: a step that fails for good (its plan, its finish,
 * a sub-orchestration that died) ends the run as failed with a `RetentionJobFailed` signal,
 * and the orchestration fails too, so its status says so. Without this, such a run emitted
 * nothing, and only the heartbeat alert a day later noticed.
 */
export function jobOrchestrator(jobName: string, body: OrchestrationHandler): OrchestrationHandler {
  return function* (context) {
    try {
      return yield* body(context);
    } catch (error) {
      const { runId, dryRun } = context.df.getInput<{ runId: string; dryRun?: boolean }>();
      const input: JobRunFailedInput = { jobName, runId, dryRun: dryRun ?? false };
      yield context.df.callActivityWithRetry(JOB_RUN_FAILED_ACTIVITY, activityRetry(), input);
      throw error;
    }
  } as OrchestrationHandler;
}
