import { defineFeature } from '../app/feature.js';
import { AuditLog } from './audit-log.js';
import { auditPrivacyProvider } from './audit-privacy.js';
import { auditRoutes } from './audit-routes.js';

/** Who read or changed what, per municipality, for its data admin. */
export const auditFeature = defineFeature({
  name: 'audit',
  services: ({ cosmos, clock, config, continuations, deadlines, operations }) => ({
    audit: new AuditLog(cosmos.containers.audit, clock, continuations, { deadlines, operations, writeTimeoutMs: config.requestDeadlineMs }),
  }),
  privacyProviders: ({ cosmos, clock, config }) => [auditPrivacyProvider(cosmos.containers.audit, clock, config.privacyDigestKey)],
  routes: auditRoutes,
});
