import { defineFeature, defineTimer } from '../app/feature.js';
import { erasureActivities, erasureOrchestrators } from './erasure-job.js';
import { erasureReapplyActivities, erasureReapplyOrchestrators, erasureReapplyRoutes } from './erasure-reapply-job.js';
import { ErasureOutbox } from './erasure-outbox.js';
import { erasureOutboxPrivacyProvider, erasureRecordsPrivacyProvider } from './erasure-privacy.js';
import { resumeErasures } from './erasure-resume.js';
import { erasureRoutes } from './erasure-routes.js';
import { ErasureService } from './erasure-service.js';
import { OrchestratedErasureRunner } from './orchestrated-erasure-runner.js';

/** Restarts every accepted erasure whose orchestration is not running; flags and alerts the overdue ones. */
const erasureResumeTimer = defineTimer({
  name: 'erasure-resume',
  schedule: { everyMinutes: 5 },
  uses: ['erasures', 'erasureRunner', 'clock', 'logger', 'telemetry'],
  run: (services) => resumeErasures(services),
});

/** P3, P16: erasure per the controller's instruction, through every privacy provider, verified. */
export const erasureFeature = defineFeature({
  name: 'erasure',
  services: ({ cosmos, config, clock, logger, scheduler, continuations }, { privacy, principals }) => ({
    erasures: new ErasureService({
      directory: cosmos.containers.directory,
      outbox: new ErasureOutbox(cosmos.containers.jobs),
      registry: privacy,
      digestKey: config.privacyDigestKey,
      continuations,
      clock,
      logger,
      overdueAfterMs: config.erasure.overdueAfterHours * 3_600_000,
      onTombstoned: (subject) => {
        if ('identity' in subject) principals.forget(subject.identity);
      },
    }),
    erasureRunner: new OrchestratedErasureRunner(scheduler),
  }),
  privacyProviders: ({ cosmos }) => [erasureRecordsPrivacyProvider(cosmos.containers.directory), erasureOutboxPrivacyProvider()],
  routes: [...erasureRoutes, ...erasureReapplyRoutes],
  timers: [erasureResumeTimer],
  orchestrators: { ...erasureOrchestrators, ...erasureReapplyOrchestrators },
  activities: (services) => ({ ...erasureActivities(async () => (await services()).erasures), ...erasureReapplyActivities(services) }),
});
