import type { AnyRoute } from '../../lib/http/route.js';
import { auditRoutes } from './audit-routes.js';
import { groupRoutes } from './group-routes.js';
import { meRoutes } from './me-routes.js';
import { metaRoutes } from './meta-routes.js';
import { municipalityRoutes } from './municipality-routes.js';
import { studentRecordRoutes } from './record-routes.js';
import { schoolRoutes } from './school-routes.js';
import { studentRoutes } from './student-routes.js';
import { userRoutes } from './user-routes.js';

/** Every route the API serves in Azure. The local host adds its dev-issuer routes. */
export function apiRoutes(extra: readonly AnyRoute[] = []): AnyRoute[] {
  const routes: AnyRoute[] = [];
  routes.push(
    ...metaRoutes(() => routes),
    ...meRoutes,
    ...municipalityRoutes,
    ...schoolRoutes,
    ...groupRoutes,
    ...userRoutes,
    ...studentRoutes,
    ...studentRecordRoutes,
    ...auditRoutes,
    ...extra,
  );
  return routes;
}
