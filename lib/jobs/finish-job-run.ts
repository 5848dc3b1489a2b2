import type { JobRunStore } from './job-runs.js';
import type { JobSignals } from './job-signals.js';

/** What a retention job run did, as its orchestrator returns it. */
export interface JobRunOutcome {
  processed: number;
  remaining: number;
  records: number;
  failures: number;
  overdue: number;
}

export interface FinishJobRunInput {
  jobName: string;
  runId: string;
  dryRun: boolean;
  failures: number;
  overdue: number;
  /** ISO time the run ends, from the job's clock. */
  at: string;
}

/**
 * The end of every retention job run: the run record settles, and ops get the signals the
 * alerts read (completed, unfinished, overdue), with counts only.
 */
export async function finishJobRun(deps: { runs: JobRunStore; signals: JobSignals }, input: FinishJobRunInput): Promise<JobRunOutcome> {
  const status = input.failures > 0 ? 'failed' : 'completed';
  await deps.runs.finish(input.runId, { status, failures: input.failures, overdue: input.overdue, at: input.at });
  const run = await deps.runs.read(input.runId);
  const summary = {
    jobName: input.jobName,
    runId: input.runId,
    dryRun: input.dryRun,
    processed: run?.processed ?? 0,
    remaining: run?.remaining ?? 0,
    records: run?.records ?? 0,
    failures: input.failures,
    durationMs: Date.parse(input.at) - Date.parse(run?.startedAt ?? input.at),
  };
  if (status === 'failed') deps.signals.failed(summary);
  else if (input.dryRun) deps.signals.dryRun(summary);
  else deps.signals.completed(summary);
  if (input.overdue > 0) deps.signals.overdue({ jobName: input.jobName, runId: input.runId, overdue: input.overdue });
  return { processed: summary.processed, remaining: summary.remaining, records: summary.records, failures: summary.failures, overdue: input.overdue };
}
