import { defineFeature } from '../app/feature.js';
import { DisclosureRegister } from './disclosure-register.js';
import { disclosureRoutes } from './disclosure-routes.js';
import { disclosuresPrivacyProvider } from './disclosures-privacy.js';

/** P13: the register of disclosures to third parties, each with its basis and reference. */
export const disclosuresFeature = defineFeature({
  name: 'disclosures',
  services: ({ cosmos, clock, continuations }) => ({
    disclosures: new DisclosureRegister(cosmos.containers.exports, cosmos.containers.directory, clock, continuations),
  }),
  privacyProviders: ({ cosmos }) => [disclosuresPrivacyProvider(cosmos.containers.exports)],
  routes: disclosureRoutes,
});
