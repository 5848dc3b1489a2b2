import { defineFeature } from '../app/feature.js';
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
  services: ({ config, cosmos, blob, clock, logger, credential, continuations, options }, { municipalities, users }) => ({
    governance: createGovernance({ config, cosmos, blob, clock, logger, credential, continuations, municipalities, users, emailSender: options.emailSender }),
  }),
  privacyProviders: ({ cosmos }) => governancePrivacyProviders(cosmos.containers),
  routes: [...consentRoutes, ...policyRoutes, ...complaintRoutes, ...supportRoutes],
  timers: [mailingTimer],
});
