import { defineFeature, defineOverdueCheck } from '../app/feature.js';
import { JobRunStore } from '../jobs/job-runs.js';
import { telemetryJobSignals } from '../jobs/job-signals.js';
import { EXPORT_EXPIRY_JOB, ExportExpiry } from './export-expiry.js';
import { EXPORT_EXPIRY_FUNCTIONS, exportExpiryActivities, exportExpiryOrchestrators } from './export-expiry-job.js';
import { exportRoutes } from './export-routes.js';
import { ExportService } from './export-service.js';
import { exportBlobs } from './export-blobs.js';
import { exportsPrivacyProvider } from './exports-privacy.js';

/** P14: subject-access exports (JSON, CSV) through every privacy provider, by short-lived link, expiring. */
export const exportsFeature = defineFeature({
  name: 'exports',
  services: ({ cosmos, blob, clock, logger, telemetry, continuations }, { privacy, students, users, disclosures }) => {
    const blobs = exportBlobs(blob);
    return {
      exports: new ExportService({ exports: cosmos.containers.exports, blobs, privacy, students, users, disclosures, continuations, clock, logger }),
      exportExpiry: new ExportExpiry({
        exports: cosmos.containers.exports,
        blobs,
        runs: new JobRunStore(cosmos.containers.jobs),
        clock,
        signals: telemetryJobSignals(telemetry),
      }),
    };
  },
  privacyProviders: ({ cosmos, blob }) => [exportsPrivacyProvider(cosmos.containers.exports, exportBlobs(blob))],
  routes: exportRoutes,
  jobs: [
    {
      name: EXPORT_EXPIRY_JOB,
      orchestrator: EXPORT_EXPIRY_FUNCTIONS.orchestrator,
      dailyAt: { hourUtc: 2, minuteUtc: 45 },
      unit: { one: 'export', many: 'exports' },
      overdue: defineOverdueCheck({ uses: ['exportExpiry'], count: ({ exportExpiry }, now) => exportExpiry.countOverdue(now) }),
    },
  ],
  orchestrators: exportExpiryOrchestrators,
  activities: (services) => exportExpiryActivities(async () => (await services()).exportExpiry),
});
