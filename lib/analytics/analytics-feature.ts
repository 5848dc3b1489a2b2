import { defineFeature } from '../app/feature.js';
import { analyticsRoutes } from './analytics-routes.js';
import { UsageAnalytics } from './usage-analytics.js';

/** P7: usage in aggregates only, cells under 5 people suppressed. */
export const analyticsFeature = defineFeature({
  name: 'analytics',
  services: ({ cosmos }) => ({ analytics: new UsageAnalytics(cosmos.containers.usage, cosmos.containers.directory) }),
  routes: analyticsRoutes,
});
