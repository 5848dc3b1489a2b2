import { defineFeature, featureJobs } from '../app/feature.js';
import { jobRoutes } from './job-routes.js';
import { JobRunStore } from './job-runs.js';
import { JobService } from './job-service.js';

/** Job runs: started by their timers or by an operator, followed in the `jobs` container. */
export const jobsFeature = defineFeature({
  name: 'jobs',
  services: ({ cosmos, scheduler, clock, config, features }) => ({
    jobs: new JobService(new JobRunStore(cosmos.containers.jobs), scheduler, clock, config.mode, featureJobs(features)),
  }),
  routes: jobRoutes,
});
