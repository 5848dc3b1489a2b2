import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { Clock } from '../clock.js';
import type { Containers } from '../data/cosmos.js';
import type { StudentStore } from '../directory/students.js';
import type { UserDirectory } from '../directory/users.js';
import { DisclosureRegister } from '../disclosures/disclosure-register.js';
import { disclosuresPrivacyProvider } from '../disclosures/disclosures-privacy.js';
import { JobRunStore } from '../jobs/job-runs.js';
import { telemetryJobSignals } from '../jobs/job-signals.js';
import type { Logger } from '../logger.js';
import type { PrivacyProvider, PrivacyRegistry } from '../privacy/privacy-provider.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { ExportExpiry } from './export-expiry.js';
import { ExportService } from './export-service.js';
import { exportsPrivacyProvider } from './exports-privacy.js';

export const EXPORTS_BLOB_CONTAINER = 'exports';

export function exportBlobs(blob: BlobServiceClient): ContainerClient {
  return blob.getContainerClient(EXPORTS_BLOB_CONTAINER);
}

/** The privacy providers of the disclosure register and the exports. */
export function exportPrivacyProviders(containers: Containers, blob: BlobServiceClient): PrivacyProvider[] {
  return [disclosuresPrivacyProvider(containers.exports), exportsPrivacyProvider(containers.exports, exportBlobs(blob))];
}

export interface ExportServicesContext {
  containers: Containers;
  blob: BlobServiceClient;
  privacy: PrivacyRegistry;
  students: StudentStore;
  users: UserDirectory;
  clock: Clock;
  logger: Logger;
  telemetry: Telemetry;
}

/** Disclosures (P13), exports (P14) and the work of their expiry job. */
export function createExportServices(context: ExportServicesContext): { disclosures: DisclosureRegister; exports: ExportService; exportExpiry: ExportExpiry } {
  const { containers, clock } = context;
  const blobs = exportBlobs(context.blob);
  const disclosures = new DisclosureRegister(containers.exports, containers.directory, clock);
  return {
    disclosures,
    exports: new ExportService({
      exports: containers.exports,
      blobs,
      privacy: context.privacy,
      students: context.students,
      users: context.users,
      disclosures,
      clock,
      logger: context.logger,
    }),
    exportExpiry: new ExportExpiry({
      exports: containers.exports,
      blobs,
      runs: new JobRunStore(containers.jobs),
      clock,
      signals: telemetryJobSignals(context.telemetry),
    }),
  };
}
