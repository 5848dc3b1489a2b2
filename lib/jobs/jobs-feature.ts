import { defineFeature, featureJobs } from '../app/feature.js';
import { JOB_RUN_FAILED_ACTIVITY, type JobRunFailedInput } from './job-orchestration.js';
import { jobRoutes } from './job-routes.js';
import { JobRunStore } from './job-runs.js';
import { JobService } from './job-service.js';
import { telemetryJobSignals } from './job-signals.js';

/** Job runs: started by their timers or by an operator, followed in the `jobs` container. */
export const jobsFeature = defineFeature({
  name: 'jobs',
  services: ({ cosmos, scheduler, clock, config, features, telemetry, logger }) => ({
    jobs: new JobService({
      runs: new JobRunStore(cosmos.containers.jobs),
      scheduler,
      clock,
      mode: config.mode,
      definitions: featureJobs(features),
      signals: telemetryJobSignals(telemetry),
      logger,
    }),
  }),
  routes: jobRoutes,
  activities: (services) => ({
    [JOB_RUN_FAILED_ACTIVITY]: async (input) => (await services()).jobs.recordFailure(input as JobRunFailedInput),
  }),
});
