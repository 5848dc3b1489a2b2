import { defineFeature } from '../app/feature.js';
import { erasedActorPseudonym } from '../audit/audit-actor.js';
import { rosterImportActivities, rosterImportOrchestrators } from './roster-import-job.js';
import { rosterImportPrivacyProvider } from './roster-import-privacy.js';
import { rosterImportRoutes } from './roster-import-routes.js';
import { RosterImportService } from './roster-import-service.js';
import { ROSTER_LIMITS } from './roster-limits.js';
import { planInAppThread, planInWorker } from './roster-plan-host.js';
import { RosterRunStore } from './roster-runs.js';
import { rosterBlobs, RosterUploads } from './roster-uploads.js';

/** P2: a municipality's schools, staff, students and groups imported from its school system's OneRoster 1.2 files. */
export const rosterImportFeature = defineFeature({
  name: 'roster-import',
  services: ({ cosmos, blob, uploadBlob, config, clock, logger, operations, scheduler, continuations, options }, { users, erasures, audit }) => ({
    rosterImports: new RosterImportService({
      directory: cosmos.containers.directory,
      batchBlobs: rosterBlobs(blob),
      uploadBlobs: rosterBlobs(uploadBlob),
      uploads: new RosterUploads(uploadBlob, clock),
      users,
      erasedSubjects: (municipalityId, since) => erasures.erasedSubjects(municipalityId, since),
      erasureDigests: (municipalityId) => erasures.erasureDigests(municipalityId),
      planStep:
        options.rosterPlan?.thread === 'app'
          ? planInAppThread({ directory: cosmos.containers.directory, uploadBlobs: rosterBlobs(uploadBlob), batchBlobs: rosterBlobs(blob), operations, digestKey: config.privacyDigestKey })
          : planInWorker(config, options.rosterPlan?.heap ?? ROSTER_LIMITS.planHeap),
      audit,
      erasedActor: (municipalityId, userId) => erasedActorPseudonym(config.privacyDigestKey, municipalityId, userId),
      runs: new RosterRunStore(cosmos.containers.directory, continuations),
      scheduler,
      operations,
      identity: config.rosterIdentity,
      clock,
      logger,
    }),
  }),
  privacyProviders: ({ cosmos, blob, uploadBlob, clock, config }) => [rosterImportPrivacyProvider(cosmos.containers.directory, [rosterBlobs(uploadBlob), rosterBlobs(blob)], clock, config.privacyDigestKey)],
  routes: rosterImportRoutes,
  orchestrators: rosterImportOrchestrators,
  activities: (services) => rosterImportActivities(async () => (await services()).rosterImports),
});
