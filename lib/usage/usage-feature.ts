import { defineFeature, defineOverdueCheck } from '../app/feature.js';
import { JobRunStore } from '../jobs/job-runs.js';
import { telemetryJobSignals } from '../jobs/job-signals.js';
import { AccountMonths } from './account-months.js';
import { RequestLog } from './request-log.js';
import { USAGE_ANONYMISATION_FUNCTIONS, usageAnonymisationActivities, usageAnonymisationOrchestrators } from './usage-anonymisation-job.js';
import { USAGE_ANONYMISATION_JOB, UsageAnonymiser } from './usage-anonymiser.js';
import { UsageCells } from './usage-cells.js';
import { UsageLedger } from './usage-ledger.js';
import { usagePrivacyProviders } from './usage-privacy.js';
import { UsageRecorder } from './usage-recorder.js';
import { usageRoutes } from './usage-routes.js';

/** P6: usage events, devices and the request log; P10: their anonymisation within 3 months of an account's deletion. */
export const usageFeature = defineFeature({
  name: 'usage',
  services: ({ cosmos, clock, logger, telemetry, config }) => {
    const { usage, ledger, jobs } = cosmos.containers;
    const months = new AccountMonths(usage);
    const usageLedger = new UsageLedger(ledger, clock);
    const cells = new UsageCells(usage, config.privacyDigestKey);
    return {
      usage: new UsageRecorder(usage, months, cells, clock),
      requestLog: new RequestLog(usage, months, clock, logger),
      usageLedger,
      usageAnonymiser: new UsageAnonymiser(
        { usage, ledger: usageLedger, months, cells, runs: new JobRunStore(jobs), clock, signals: telemetryJobSignals(telemetry) },
        { delayDays: config.usage.anonymisationDelayDays, platformLogRetentionDays: config.usage.platformLogRetentionDays, recordsPerBatch: config.usage.recordsPerBatch },
      ),
    };
  },
  privacyProviders: ({ cosmos, clock, config }) => usagePrivacyProviders(cosmos.containers, clock, config.privacyDigestKey),
  routes: usageRoutes,
  jobs: [
    {
      name: USAGE_ANONYMISATION_JOB,
      orchestrator: USAGE_ANONYMISATION_FUNCTIONS.orchestrator,
      dailyAt: { hourUtc: 2, minuteUtc: 15 },
      unit: { one: 'deleted account', many: 'deleted accounts' },
      overdue: defineOverdueCheck({ uses: ['usageAnonymiser'], count: ({ usageAnonymiser }, now) => usageAnonymiser.countOverdue(now) }),
    },
  ],
  orchestrators: usageAnonymisationOrchestrators,
  activities: (services) => usageAnonymisationActivities(async () => (await services()).usageAnonymiser),
});
