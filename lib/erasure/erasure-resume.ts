import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { ErasureRunner, ErasureService } from './erasure-service.js';

/** An outbox entry without its record this long after acceptance: the acceptance died before the record. */
const ABANDONED_AFTER_MS = 10 * 60_000;

export interface ErasureResumeReport {
  /** Accepted erasures not completed. */
  backlog: number;
  /** Orchestrations started because none was pending or running. */
  started: number;
  /** Of the backlog, past their deadline. */
  overdue: number;
}

/**
 * The resume timer's work: every accepted erasure that is not completed gets its
 * orchestration started again unless one is pending or running, so a process that died
 * between accepting and scheduling, or in the middle, never leaves an erasure behind. Past
 * its deadline an erasure is flagged on its record and `ErasureOverdue` alerts ops; every
 * run reports `ErasureBacklog`. Idempotent; work grows with unfinished erasures only.
 */
export async function resumeErasures(deps: { erasures: ErasureService; erasureRunner: ErasureRunner; clock: Clock; logger: Logger; telemetry: Telemetry }): Promise<ErasureResumeReport> {
  const { erasures, erasureRunner, clock, telemetry } = deps;
  const now = clock.now();
  const report: ErasureResumeReport = { backlog: 0, started: 0, overdue: 0 };
  for (const entry of await erasures.unfinished()) {
    const erasure = await erasures.find(entry.municipalityId, entry.id);
    if (!erasure) {
      if (now.getTime() - Date.parse(entry.acceptedAt) > ABANDONED_AFTER_MS) await erasures.dropFromOutbox(entry.id);
      continue;
    }
    if (erasure.value.status === 'completed') {
      await erasures.dropFromOutbox(entry.id);
      continue;
    }
    report.backlog += 1;
    if (now.getTime() > Date.parse(entry.deadline)) {
      report.overdue += 1;
      if (await erasures.markOverdue(erasure.value)) {
        telemetry.trackEvent('ErasureOverdue', { erasureId: entry.id, municipalityId: entry.municipalityId, acceptedAt: entry.acceptedAt });
      }
    }
    try {
      if (await erasureRunner.schedule(entry.municipalityId, entry.id)) report.started += 1;
    } catch (error) {
      // One that cannot start now is tried again at the next run; the others go on.
      deps.logger.error('erasure-resume-failed', { erasureId: entry.id, error: error instanceof Error ? error.name : 'unknown' });
    }
  }
  telemetry.trackMetric('ErasureBacklog', report.backlog);
  telemetry.trackMetric('ErasureOverdue', report.overdue);
  if (report.started > 0) deps.logger.info('erasures-resumed', { started: report.started, backlog: report.backlog });
  await telemetry.flush();
  return report;
}
