import { featureJobs, featureRoutes } from '../../lib/app/feature.js';
import { FEATURES } from '../../lib/features.js';
import { buildOpenApiDocument } from '../../lib/http/openapi.js';

/** The document of the deployed app (every feature's routes, no local-only ones), as `/api/openapi.json` builds it. */
export function deployedOpenApiDocument(): Record<string, unknown> {
  return buildOpenApiDocument(featureRoutes(FEATURES), '1.0.0', { parameterValues: { job: featureJobs(FEATURES).map((job) => job.name) } });
}
