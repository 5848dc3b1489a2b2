import { defineFeature } from '../app/feature.js';
import { BLOB_CONTAINERS } from '../storage/blob-containers.js';
import { availabilityProbeTimer } from './availability-probe-timer.js';
import { checkHealth } from './health-check.js';
import { healthRoutes } from './health-routes.js';

/** P12: the health endpoint and the availability probe that reports the same checks. */
export const healthFeature = defineFeature({
  name: 'health',
  services: ({ cosmos, blob, config }) => ({
    health: () =>
      checkHealth(
        {
          cosmos: () => cosmos.database.read(),
          blob: () => blob.getContainerClient(BLOB_CONTAINERS[0]).getProperties(),
        },
        config.version,
      ),
  }),
  routes: healthRoutes,
  timers: [availabilityProbeTimer],
});
