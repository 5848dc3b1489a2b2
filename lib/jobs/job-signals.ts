import type { Telemetry } from '../telemetry/telemetry.js';

/** Counts and names only: a signal never carries an account, a person or a municipality's data. */
export interface RetentionJobSummary {
  jobName: string;
  runId: string;
  dryRun: boolean;
  processed: number;
  remaining: number;
  records: number;
  failures: number;
  durationMs: number;
}

export interface RetentionJobOverdueSignal {
  jobName: string;
  runId: string;
  /** Ledger entries past their deadline and not done. */
  overdue: number;
}

/**
 * What ops watch (infra/app/alerts.bicep reads `customDimensions.jobName`): a
 * `RetentionJobCompleted` event at least every 26 hours per job, and no
 * `RetentionJobFailed` or `RetentionJobOverdue` ever.
 */
export interface JobSignals {
  /** A run did all its due work. */
  completed(summary: RetentionJobSummary): void;
  /** A run ended with failures, in any step (`RetentionJobFailed`). */
  failed(summary: RetentionJobSummary): void;
  /** A dry run ended (`RetentionJobDryRun`): it counts as no completion. */
  dryRun(summary: RetentionJobSummary): void;
  /** Work past its deadline (`RetentionJobOverdue`), found by a run or by the hourly watch. */
  overdue(signal: RetentionJobOverdueSignal): void;
}

/** Custom events through the app's telemetry (log lines where Application Insights is not configured). */
export function telemetryJobSignals(telemetry: Telemetry): JobSignals {
  const emit = (name: string, properties: RetentionJobSummary | RetentionJobOverdueSignal) => {
    telemetry.trackEvent(name, { ...properties });
    // A job's last activity may be followed by the instance freezing: send now.
    void telemetry.flush().catch(() => undefined);
  };
  return {
    completed: (summary) => emit('RetentionJobCompleted', summary),
    failed: (summary) => emit('RetentionJobFailed', summary),
    dryRun: (summary) => emit('RetentionJobDryRun', summary),
    overdue: (signal) => emit('RetentionJobOverdue', signal),
  };
}
