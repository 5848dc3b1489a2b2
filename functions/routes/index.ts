import type { AnyRoute } from '../../lib/http/route.js';
import { analyticsRoutes } from './analytics-routes.js';
import { auditRoutes } from './audit-routes.js';
import { complaintRoutes } from './complaint-routes.js';
import { consentRoutes } from './consent-routes.js';
import { disclosureRoutes } from './disclosure-routes.js';
import { erasureRoutes } from './erasure-routes.js';
import { exportRoutes } from './export-routes.js';
import { groupRoutes } from './group-routes.js';
import { jobRoutes } from './job-routes.js';
import { leaverReportRoutes } from './leaver-report-routes.js';
import { meRoutes } from './me-routes.js';
import { metaRoutes } from './meta-routes.js';
import { municipalityRoutes } from './municipality-routes.js';
import { policyRoutes } from './policy-routes.js';
import { studentRecordRoutes } from './record-routes.js';
import { schoolRoutes } from './school-routes.js';
import { sessionRoutes } from './session-routes.js';
import { studentRoutes } from './student-routes.js';
import { supportRoutes } from './support-routes.js';
import { usageRoutes } from './usage-routes.js';
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
    ...leaverReportRoutes,
    ...auditRoutes,
    ...erasureRoutes,
    ...consentRoutes,
    ...policyRoutes,
    ...complaintRoutes,
    ...supportRoutes,
    ...usageRoutes,
    ...jobRoutes,
    ...sessionRoutes,
    ...disclosureRoutes,
    ...exportRoutes,
    ...analyticsRoutes,
    ...extra,
  );
  return routes;
}
