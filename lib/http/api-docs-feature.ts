import { defineFeature, featureRoutes } from '../app/feature.js';
import { apiDocsRoutes } from './api-docs-routes.js';

/** The OpenAPI document of every route the host serves, generated from the same definitions, and its page. */
export const apiDocsFeature = defineFeature({
  name: 'api-docs',
  services: ({ features }) => ({ apiRoutes: featureRoutes(features) }),
  routes: apiDocsRoutes,
});
