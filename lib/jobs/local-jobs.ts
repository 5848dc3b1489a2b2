import type { ActivityHandler } from 'durable-functions';
import type { Clock } from '../clock.js';
import { erasureActivities, erasureOrchestrators } from '../erasure/erasure-job.js';
import type { ErasureService } from '../erasure/erasure-service.js';
import type { ExportExpiry } from '../exports/export-expiry.js';
import { exportExpiryActivities, exportExpiryOrchestrators } from '../exports/export-expiry-job.js';
import type { Logger } from '../logger.js';
import { leaverReportActivities, leaverReportOrchestrators, type LeaverReportWork } from '../reports/leaver-report-jobs.js';
import type { UsageAnonymiser } from '../usage/usage-anonymiser.js';
import { usageAnonymisationActivities, usageAnonymisationOrchestrators } from '../usage/usage-anonymisation-job.js';
import { createLocalDurableDriver, type LocalDurableDriver, type LocalDurableDriverOptions } from './local-durable-driver.js';

/** Locally, activity payloads must stay far below the 45 KB an Azure Storage queue message allows. */
export const LOCAL_ACTIVITY_PAYLOAD_LIMIT_BYTES = 8 * 1024;

export interface LocalJobDriverOptions {
  anonymiser: UsageAnonymiser;
  /** The `export-expiry` job's work (lib/exports); without it that job's activities are not registered. */
  exportExpiry?: ExportExpiry;
  /** Leaver report generation and expiry (lib/reports); without it their activities are not registered. */
  leaverReports?: LeaverReportWork;
  /** Erasures accepted by the API (lib/erasure); without it their activities are not registered. */
  erasures?: ErasureService;
  clock: Clock;
  logger: Logger;
  /** Tests wrap activities to inject faults; everything else runs as registered in Azure. */
  wrapActivity?: (name: string, handler: ActivityHandler) => ActivityHandler;
  driver?: Partial<LocalDurableDriverOptions>;
}

/**
 * Every job's orchestrators and activities on the local durable driver, with replay
 * verification on: an orchestrator that is not deterministic fails locally, not in Azure.
 */
export function createLocalJobDriver(options: LocalJobDriverOptions): LocalDurableDriver {
  const wrap = options.wrapActivity ?? ((_name: string, handler: ActivityHandler) => handler);
  const { exportExpiry, leaverReports, erasures } = options;
  const activities = Object.fromEntries(
    Object.entries({
      ...usageAnonymisationActivities(() => Promise.resolve(options.anonymiser)),
      ...(exportExpiry ? exportExpiryActivities(() => Promise.resolve(exportExpiry)) : {}),
      ...(leaverReports ? leaverReportActivities(() => Promise.resolve(leaverReports)) : {}),
      ...(erasures ? erasureActivities(() => Promise.resolve(erasures)) : {}),
    }).map(([name, handler]) => [name, wrap(name, handler)]),
  );
  return createLocalDurableDriver({
    orchestrators: { ...usageAnonymisationOrchestrators, ...exportExpiryOrchestrators, ...leaverReportOrchestrators, ...erasureOrchestrators },
    activities,
    now: () => options.clock.now(),
    verifyReplay: true,
    activityPayloadLimitBytes: LOCAL_ACTIVITY_PAYLOAD_LIMIT_BYTES,
    // Warnings only (failed attempts, by function name): the engine's step-by-step chatter is noise.
    log: (entry) => {
      if (entry.level === 'warning' || entry.level === 'error') {
        // `detail`, not `message`: the logger redacts fields called message wholesale.
        options.logger.warn('local-durable', { functionName: entry.functionName, detail: entry.message });
      }
    },
    ...options.driver,
  });
}
