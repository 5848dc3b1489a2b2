import { defineFeature, defineOverdueCheck } from '../app/feature.js';
import { GOVERNANCE_RETENTION_FUNCTIONS, governanceRetentionActivities, governanceRetentionOrchestrators } from './governance-retention-job.js';
import { GOVERNANCE_RETENTION_JOB } from './governance-retention.js';
import { complaintRoutes } from './complaints/complaint-routes.js';
import { consentRoutes } from './consent/consent-routes.js';
import { createGovernance } from './governance.js';
import { governancePrivacyProviders } from './governance-privacy.js';
import { mailingTimer } from './mailing-timer.js';
import { policyRoutes } from './policy/policy-routes.js';
import { supportRoutes } from './support/support-routes.js';

/** The processor's own obligations: consent (P9), support (P8), complaints (P17), policy versions (P18). */
export const governanceFeature = defineFeature({
  name: 'governance',
  services: ({ config, cosmos, blob, clock, logger, telemetry, credential, continuations, options }, { municipalities, users }) => ({
    governance: createGovernance({ config, cosmos, blob, clock, logger, telemetry, credential, continuations, municipalities, users, emailSender: options.emailSender }),
  }),
  privacyProviders: ({ cosmos, config }) => governancePrivacyProviders(cosmos.containers, config.retention),
  routes: [...consentRoutes, ...policyRoutes, ...complaintRoutes, ...supportRoutes],
  timers: [mailingTimer],
  jobs: [
    {
      name: GOVERNANCE_RETENTION_JOB,
      orchestrator: GOVERNANCE_RETENTION_FUNCTIONS.orchestrator,
      dailyAt: { hourUtc: 3, minuteUtc: 15 },
      unit: { one: 'support thread or complaint', many: 'support threads and complaints' },
      overdue: defineOverdueCheck({ uses: ['governance'], count: ({ governance }, now) => governance.retention.countOverdue(now) }),
    },
  ],
  orchestrators: governanceRetentionOrchestrators,
  activities: (services) => governanceRetentionActivities(async () => (await services()).governance.retention),
});
