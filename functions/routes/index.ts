import type { AnyRoute } from '../../lib/http/route.js';
import { meRoutes } from './me-routes.js';
import { metaRoutes } from './meta-routes.js';
import { municipalityRoutes } from './municipality-routes.js';
import { userRoutes } from './user-routes.js';

/** Every route the API serves in Azure. The local host adds its dev-issuer routes. */
export function apiRoutes(extra: readonly AnyRoute[] = []): AnyRoute[] {
  const routes: AnyRoute[] = [];
  routes.push(...metaRoutes(() => routes), ...meRoutes, ...municipalityRoutes, ...userRoutes, ...extra);
  return routes;
}
