import type { PluginConfig } from '@azure/cosmos';
import type { JWTVerifyGetKey } from 'jose';
import type { Feature, Platform, SharedServices } from './app/feature.js';
import { managedIdentity } from './azure-credential.js';
import type { AppConfig, OidcIssuerConfig } from './config/config.js';
import { systemClock, type Clock } from './clock.js';
import { assertCosmosResidency, createCosmosHandle, ensureDatabase } from './data/cosmos.js';
import { operationCounterFor } from './data/operation-counter.js';
import { RequestDeadlines } from './data/request-deadline.js';
import { FEATURES } from './features.js';
import type { WorkerHeap } from './jobs/bounded-worker.js';
import type { EmailSender } from './governance/email/email-sender.js';
import { durableFunctionsRuntime, type JobRuntime } from './jobs/job-runtime.js';
import { createLogger, type Logger } from './logger.js';
import { ContinuationSealer } from './paging/continuation-sealer.js';
import { PrivacyRegistry } from './privacy/privacy-provider.js';
import type { Services } from './services.js';
import { UPLOAD_BLOB_CONTAINERS } from './storage/blob-containers.js';
import { createBlobService, createUploadBlobService, ensureBlobContainers } from './storage/blob.js';
import type { IngestionHttpClient } from './telemetry/app-insights.js';
import { createTelemetry } from './telemetry/telemetry.js';

export interface CompositionOptions {
  /** The features the host serves; default every feature of the app (lib/features.ts). */
  features?: readonly Feature[];
  /** Where orchestrations run; default Durable Functions through the invocation's client (the Functions host). */
  jobRuntime?: JobRuntime;
  clock?: Clock;
  logger?: Logger;
  /** Overrides JWKS retrieval (tests pin keys without HTTP). */
  keysFor?: (issuer: OidcIssuerConfig) => JWTVerifyGetKey;
  /** Carries Application Insights' ingestion requests (tests record them instead of sending). */
  telemetryIngestion?: IngestionHttpClient;
  /** Replaces the email sender (tests inject send failures). */
  emailSender?: EmailSender;
  /** Cosmos DB SDK request plugins run after the operation counter (tests inject faults). */
  cosmosPlugins?: readonly PluginConfig[];
  /**
   * Where a roster import's plan step runs; default a worker thread with `ROSTER_LIMITS.planHeap`.
   * `app`: the app's own thread, where `cosmosPlugins` reach its reads (tests of faults there).
   */
  rosterPlan?: { thread: 'app' } | { thread: 'worker'; heap: WorkerHeap };
}

/**
 * The one place that builds clients and assembles the features. Called once per process:
 * the platform clients first, then each feature's services in list order, then every
 * feature's privacy providers into one registry.
 */
export async function createServices(config: AppConfig, options: CompositionOptions = {}): Promise<Services> {
  const features = options.features ?? FEATURES;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger();
  // Before the Azure SDK clients, so their dependency spans reach the telemetry pipeline.
  const telemetry = await createTelemetry(config, logger, options.telemetryIngestion);
  const operations = operationCounterFor(config.mode);
  const credential = await managedIdentity(config);
  const built: Partial<Services> = {};
  let ready: (services: Services) => void = () => undefined;
  const whenBuilt = new Promise<Services>((resolve) => {
    ready = resolve;
  });
  const deadlines = new RequestDeadlines();
  const cosmos = createCosmosHandle(config, operations, credential, deadlines, options.cosmosPlugins);
  const scheduler = await (options.jobRuntime ?? durableFunctionsRuntime)({ features, services: () => whenBuilt, clock, logger, cosmos });
  const blob = createBlobService(config, credential);
  const shared: SharedServices = { config, clock, logger, telemetry, operations, deadlines, cosmos, blob, uploadBlob: createUploadBlobService(config, credential, blob) };
  const platform: Platform = {
    ...shared,
    credential,
    continuations: ContinuationSealer.fromSecret(config.privacyDigestKey),
    scheduler,
    features,
    options,
  };
  Object.assign(built, shared, { privacy: new PrivacyRegistry() });
  const soFar = builtSoFar(built);
  for (const feature of features) Object.assign(built, await feature.services?.(platform, soFar));
  const services = built as Services;
  for (const feature of features) {
    for (const provider of feature.privacyProviders?.(services) ?? []) services.privacy.register(provider);
  }
  ready(services);
  return services;
}

/** The services as far as they are built: using one a later feature builds is a mistake in the feature order. */
function builtSoFar(built: Partial<Services>): Services {
  return new Proxy(built, {
    get(target, name, receiver) {
      if (typeof name === 'string' && !(name in target) && name !== 'then') {
        throw new Error(`service "${name}" is used before the feature that builds it (see the order in lib/features.ts)`);
      }
      return Reflect.get(target, name, receiver);
    },
  }) as Services;
}

/**
 * Start-up duties: local mode creates the database, containers and blob containers;
 * Azure mode refuses to serve unless every Cosmos DB location is in the EU/EEA (P15).
 */
export async function prepareServices(services: Services): Promise<void> {
  if (services.config.mode === 'local') {
    await ensureDatabase(services.cosmos);
    await ensureBlobContainers(services.blob);
    if (services.uploadBlob !== services.blob) await ensureBlobContainers(services.uploadBlob, UPLOAD_BLOB_CONTAINERS);
    return;
  }
  const locations = await assertCosmosResidency(services.cosmos.client);
  services.logger.info('residency-check-passed', { locations: locations.join(',') });
}
