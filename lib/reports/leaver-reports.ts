import type { BlobServiceClient } from '@azure/storage-blob';
import type { StudentGate } from '../access/student-gate.js';
import type { Clock } from '../clock.js';
import type { Containers } from '../data/cosmos.js';
import type { SchoolStore } from '../directory/schools.js';
import type { SettingsStore } from '../directory/settings.js';
import type { StudentStore } from '../directory/students.js';
import { JobRunStore } from '../jobs/job-runs.js';
import type { JobScheduler } from '../jobs/job-scheduler.js';
import type { JobSignals } from '../jobs/job-signals.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import type { MunicipalityRegistry } from '../platform/municipalities.js';
import type { PrivacyProvider } from '../privacy/privacy-provider.js';
import { LeaverReportExpiry } from './leaver-report-expiry.js';
import { LeaverReportGenerator } from './leaver-report-generator.js';
import type { LeaverReportWork } from './leaver-report-jobs.js';
import { LEAVER_REPORT_BLOB_CONTAINER } from './leaver-report-model.js';
import { LeaverReportService } from './leaver-report-service.js';
import { leaverReportsPrivacyProvider } from './leaver-reports-privacy.js';
import { ReportBlobs } from './report-blobs.js';
import { ReportIndex } from './report-index.js';
import { ReportVersions } from './report-versions.js';

/** P4 as the composition root wires it: the request path, the generation and expiry work, the privacy provider. */
export interface LeaverReports extends LeaverReportWork {
  service: LeaverReportService;
  privacy: PrivacyProvider;
}

export interface LeaverReportContext {
  containers: Pick<Containers, 'reports' | 'directory' | 'records' | 'jobs'>;
  blob: BlobServiceClient;
  gate: StudentGate;
  students: StudentStore;
  schools: SchoolStore;
  settings: SettingsStore;
  municipalities: MunicipalityRegistry;
  signals: JobSignals;
  /** The job machinery's scheduler (Durable Functions in Azure, the local driver otherwise). */
  scheduler: JobScheduler;
  clock: Clock;
  continuations: ContinuationSealer;
  digestKey: string;
}

export function createLeaverReports(context: LeaverReportContext): LeaverReports {
  const index = new ReportIndex(context.containers.reports, context.continuations);
  const blobs = new ReportBlobs(context.blob.getContainerClient(LEAVER_REPORT_BLOB_CONTAINER));
  return {
    service: new LeaverReportService({
      index,
      blobs,
      directory: context.containers.directory,
      gate: context.gate,
      schools: context.schools,
      settings: context.settings,
      scheduler: context.scheduler,
      clock: context.clock,
    }),
    generator: new LeaverReportGenerator({
      index,
      versions: new ReportVersions(index, () => context.clock.now()),
      blobs,
      students: context.students,
      schools: context.schools,
      municipalities: context.municipalities,
      records: context.containers.records,
      clock: context.clock,
      digestKey: context.digestKey,
    }),
    expiry: new LeaverReportExpiry({
      index,
      blobs,
      settings: context.settings,
      municipalities: context.municipalities,
      runs: new JobRunStore(context.containers.jobs),
      clock: context.clock,
      signals: context.signals,
    }),
    privacy: leaverReportsPrivacyProvider(index, blobs),
  };
}
