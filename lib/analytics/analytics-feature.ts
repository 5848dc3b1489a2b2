import { defineFeature } from '../app/feature.js';
import { analyticsRoutes } from './analytics-routes.js';
import { UsageCells } from '../usage/usage-cells.js';
import { UsageAnalytics } from './usage-analytics.js';

/** P7: usage in aggregates only, cells under 5 people suppressed. */
export const analyticsFeature = defineFeature({
  name: 'analytics',
  services: ({ cosmos, config }) => ({ analytics: new UsageAnalytics(new UsageCells(cosmos.containers.usage, config.privacyDigestKey)) }),
  routes: analyticsRoutes,
});
