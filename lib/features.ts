import type { Feature } from './app/feature.js';
import { analyticsFeature } from './analytics/analytics-feature.js';
import { auditFeature } from './audit/audit-feature.js';
import { directoryFeature } from './directory/directory-feature.js';
import { disclosuresFeature } from './disclosures/disclosures-feature.js';
import { erasureFeature } from './erasure/erasure-feature.js';
import { exportsFeature } from './exports/exports-feature.js';
import { governanceFeature } from './governance/governance-feature.js';
import { healthFeature } from './health/health-feature.js';
import { apiDocsFeature } from './http/api-docs-feature.js';
import { identityFeature } from './identity/identity-feature.js';
import { idempotencyFeature } from './idempotency/idempotency-feature.js';
import { rateLimitFeature } from './rate-limit/rate-limit-feature.js';
import { jobsFeature } from './jobs/jobs-feature.js';
import { municipalitiesFeature } from './platform/municipalities-feature.js';
import { recordsFeature } from './records/records-feature.js';
import { leaverReportsFeature } from './reports/leaver-reports-feature.js';
import { rosterImportFeature } from './roster-import/roster-import-feature.js';
import { sessionsFeature } from './sessions/sessions-feature.js';
import { usageFeature } from './usage/usage-feature.js';

/**
 * Every feature of the app, in the order their services are built (a feature may use the
 * services of those above it). Both hosts, the job CLI and OpenAPI read this list; adding a
 * feature, with its routes, jobs and privacy providers, is one module and one line here.
 */
export const FEATURES: readonly Feature[] = [
  healthFeature,
  apiDocsFeature,
  rateLimitFeature,
  idempotencyFeature,
  municipalitiesFeature,
  directoryFeature,
  identityFeature,
  auditFeature,
  recordsFeature,
  sessionsFeature,
  governanceFeature,
  jobsFeature,
  usageFeature,
  leaverReportsFeature,
  disclosuresFeature,
  exportsFeature,
  erasureFeature,
  rosterImportFeature,
  analyticsFeature,
];
