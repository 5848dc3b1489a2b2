import { defineFeature } from '../app/feature.js';
import { meRoutes } from './me-routes.js';
import { PrincipalResolver } from './principal-resolver.js';

/** Who is calling: bearer tokens from the configured issuers, mapped to a staff user, an operator or nobody. */
export const identityFeature = defineFeature({
  name: 'identity',
  services: async ({ config, options }, { users }) => {
    // jose loads with the first request, not with the Functions entry.
    const { createTokenVerifier } = await import('./jwt-verifier.js');
    return {
      tokens: createTokenVerifier(config.issuers, options.keysFor),
      principals: new PrincipalResolver(users, config.platformOperators, config.principalCacheSeconds * 1000),
    };
  },
  routes: meRoutes,
});
