import { defineFeature } from '../app/feature.js';
import { municipalityRoutes } from './municipality-routes.js';
import { MunicipalityRegistry } from './municipalities.js';

/** P1: the tenants (controllers), registered by platform operators. */
export const municipalitiesFeature = defineFeature({
  name: 'municipalities',
  services: ({ cosmos, clock, continuations }) => ({ municipalities: new MunicipalityRegistry(cosmos.containers.platform, clock, continuations) }),
  routes: municipalityRoutes,
});
