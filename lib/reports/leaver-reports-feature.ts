import { defineFeature, defineOverdueCheck } from '../app/feature.js';
import { telemetryJobSignals } from '../jobs/job-signals.js';
import { LEAVER_REPORT_EXPIRY_JOB } from './leaver-report-expiry.js';
import { LEAVER_REPORT_FUNCTIONS, leaverReportActivities, leaverReportOrchestrators } from './leaver-report-jobs.js';
import { leaverReportRoutes } from './leaver-report-routes.js';
import { createLeaverReports } from './leaver-reports.js';

/** P4: leaver reports as PDF and JSON in Blob Storage, kept no longer than the controller's retention (at most 12 months). */
export const leaverReportsFeature = defineFeature({
  name: 'leaver-reports',
  services: ({ cosmos, blob, clock, telemetry, scheduler, continuations, config }, { studentGate, students, schools, settings, municipalities }) => ({
    leaverReports: createLeaverReports({
      containers: cosmos.containers,
      blob,
      gate: studentGate,
      students,
      schools,
      settings,
      municipalities,
      signals: telemetryJobSignals(telemetry),
      scheduler,
      clock,
      continuations,
      digestKey: config.privacyDigestKey,
    }),
  }),
  privacyProviders: ({ leaverReports }) => [leaverReports.privacy],
  routes: leaverReportRoutes,
  jobs: [
    {
      name: LEAVER_REPORT_EXPIRY_JOB,
      orchestrator: LEAVER_REPORT_FUNCTIONS.expiry,
      dailyAt: { hourUtc: 1, minuteUtc: 45 },
      unit: { one: 'report', many: 'reports' },
      overdue: defineOverdueCheck({ uses: ['leaverReports'], count: ({ leaverReports }, now) => leaverReports.expiry.countOverdue(now) }),
    },
  ],
  orchestrators: leaverReportOrchestrators,
  activities: (services) => leaverReportActivities(async () => (await services()).leaverReports),
});
