import { defineFeature } from '../app/feature.js';
import { erasureActivities, erasureOrchestrators } from './erasure-job.js';
import { erasureRecordsPrivacyProvider } from './erasure-privacy.js';
import { erasureRoutes } from './erasure-routes.js';
import { ErasureService } from './erasure-service.js';
import { OrchestratedErasureRunner } from './orchestrated-erasure-runner.js';

/** P3, P16: erasure per the controller's instruction, through every privacy provider, verified. */
export const erasureFeature = defineFeature({
  name: 'erasure',
  services: ({ cosmos, config, clock, logger, scheduler }, { privacy, principals }) => ({
    erasures: new ErasureService(cosmos.containers.directory, privacy, config.privacyDigestKey, clock, logger, (subject) => {
      if ('identity' in subject) principals.forget(subject.identity);
    }),
    erasureRunner: new OrchestratedErasureRunner(() => scheduler),
  }),
  privacyProviders: ({ cosmos }) => [erasureRecordsPrivacyProvider(cosmos.containers.directory)],
  routes: erasureRoutes,
  orchestrators: erasureOrchestrators,
  activities: (services) => erasureActivities(async () => (await services()).erasures),
});
