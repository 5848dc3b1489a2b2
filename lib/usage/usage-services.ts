import type { Container } from '@azure/cosmos';
import type { Clock } from '../clock.js';
import type { AppConfig } from '../config/config.js';
import type { ErasureService } from '../erasure/erasure-service.js';
import type { ExportExpiry } from '../exports/export-expiry.js';
import { JobRunStore } from '../jobs/job-runs.js';
import type { JobScheduler } from '../jobs/job-scheduler.js';
import { JobService } from '../jobs/job-service.js';
import { telemetryJobSignals } from '../jobs/job-signals.js';
import type { Logger } from '../logger.js';
import type { LeaverReportWork } from '../reports/leaver-report-jobs.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { AccountMonths } from './account-months.js';
import { RequestLog } from './request-log.js';
import { UsageAnonymiser } from './usage-anonymiser.js';
import { UsageLedger } from './usage-ledger.js';
import { UsageRecorder } from './usage-recorder.js';

export interface UsageServices {
  usage: UsageRecorder;
  requestLog: RequestLog;
  usageLedger: UsageLedger;
  usageAnonymiser: UsageAnonymiser;
  jobs: JobService;
}

export interface UsageContainers {
  usage: Container;
  ledger: Container;
  jobs: Container;
}

/**
 * Usage information (P6), its ledger and anonymisation job (P10), and the job machinery.
 * Locally the jobs run on the local durable driver (loaded only then); in Azure through the
 * Durable Functions client.
 */
export interface UsageServiceContext {
  config: AppConfig;
  containers: UsageContainers;
  clock: Clock;
  logger: Logger;
  telemetry: Telemetry;
  /** The `export-expiry` job's work, for the local job driver (lib/exports). */
  exportExpiry?: ExportExpiry;
  /** Leaver report generation and expiry, for the local job driver (lib/reports). */
  leaverReports?: LeaverReportWork;
  /** Accepted erasures, for the local job driver (lib/erasure). */
  erasures?: ErasureService;
}

export async function createUsageServices({ config, containers, clock, logger, telemetry, exportExpiry, leaverReports, erasures }: UsageServiceContext): Promise<UsageServices> {
  const months = new AccountMonths(containers.usage);
  const runs = new JobRunStore(containers.jobs);
  const usageLedger = new UsageLedger(containers.ledger, clock);
  const usageAnonymiser = new UsageAnonymiser(
    { usage: containers.usage, ledger: usageLedger, months, runs, clock, signals: telemetryJobSignals(telemetry) },
    { delayDays: config.usage.anonymisationDelayDays, platformLogRetentionDays: config.usage.platformLogRetentionDays },
  );
  return {
    usage: new UsageRecorder(containers.usage, months, clock),
    requestLog: new RequestLog(containers.usage, months, clock, logger),
    usageLedger,
    usageAnonymiser,
    jobs: new JobService(runs, await jobScheduler(config, usageAnonymiser, clock, logger, exportExpiry, leaverReports, erasures), clock, config.mode),
  };
}

async function jobScheduler(
  config: AppConfig,
  anonymiser: UsageAnonymiser,
  clock: Clock,
  logger: Logger,
  exportExpiry?: ExportExpiry,
  leaverReports?: LeaverReportWork,
  erasures?: ErasureService,
): Promise<JobScheduler> {
  if (config.mode === 'azure') {
    const { AzureJobScheduler } = await import('../jobs/azure-job-scheduler.js');
    return new AzureJobScheduler();
  }
  const [{ LocalJobScheduler }, { createLocalJobDriver }] = await Promise.all([
    import('../jobs/local-job-scheduler.js'),
    import('../jobs/local-jobs.js'),
  ]);
  return new LocalJobScheduler(createLocalJobDriver({ anonymiser, clock, logger, exportExpiry, leaverReports, erasures }));
}
