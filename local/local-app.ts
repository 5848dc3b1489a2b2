import { durableClientNeeds, functionManifest } from '../lib/app/function-manifest.js';
import { featuresByName, functionRegistrations } from '../lib/app/function-registrations.js';
import { loadConfig, type AppConfig } from '../lib/config/config.js';
import { createServices, prepareServices, type CompositionOptions } from '../lib/composition-root.js';
import { FEATURES } from '../lib/features.js';
import { localDriverRuntime } from '../lib/jobs/local-jobs.js';
import type { Services } from '../lib/services.js';
import { DEV_AUDIENCE, DEV_ISSUER, DEV_OPERATOR_SUBJECT, devIssuerFeature, type DevIssuerKeys } from './dev-issuer.js';
import { startLocalHost, type LocalHost } from './host.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, COSMOS_EMULATOR_KEY } from './stack.js';
import { startLocalTimers } from './timers.js';

export interface LocalAppOptions extends CompositionOptions {
  cosmosEndpoint: string;
  blobEndpoint: string;
  devKeys: DevIssuerKeys;
  port: number;
  /** Extra environment (tests set the database name, limits, CORS origins). */
  env?: Record<string, string | undefined>;
  /** Whether the timers fire on their schedules (default yes); a benchmark counts only what it starts. */
  timers?: boolean;
}

export interface LocalApp {
  host: LocalHost;
  services: Services;
  config: AppConfig;
  close(): Promise<void>;
}

/**
 * Local configuration: the same zod schema as Azure, fed with emulator settings. Anything in
 * `env` wins, except the mode and the endpoints, which are this stack's.
 */
export function localEnvironment(options: Pick<LocalAppOptions, 'cosmosEndpoint' | 'blobEndpoint' | 'env'>): Record<string, string | undefined> {
  return {
    COSMOS_KEY: COSMOS_EMULATOR_KEY,
    BLOB_ACCOUNT_NAME: AZURITE_ACCOUNT,
    BLOB_ACCOUNT_KEY: AZURITE_KEY,
    // Locally the dev issuer signs every login, so an imported staff member's userIds login is one of its subjects.
    ROSTER_IDENTITY_ISSUER: DEV_ISSUER,
    ...options.env,
    ENGAGE_MODE: 'local',
    COSMOS_ENDPOINT: options.cosmosEndpoint,
    BLOB_ENDPOINT: options.blobEndpoint,
  };
}

/** The dev issuer, whose JWKS the local host itself serves on `port`, and its platform operator, before any configured ones. */
function withDevIssuer(config: AppConfig, port: number): AppConfig {
  const devIssuer = { issuer: DEV_ISSUER, audience: DEV_AUDIENCE, jwksUri: `http://127.0.0.1:${port}/api/dev/jwks`, algorithms: ['ES256' as const] };
  return {
    ...config,
    issuers: [devIssuer, ...config.issuers],
    platformOperators: [{ issuer: DEV_ISSUER, subject: DEV_OPERATOR_SUBJECT }, ...config.platformOperators],
  };
}

/**
 * The API on the local look-alike host on `port` (0 = any free port): every feature plus
 * the dev issuer, the timers on their schedules, orchestrations on the local durable driver.
 */
export async function startLocalApp(options: LocalAppOptions): Promise<LocalApp> {
  const features = [...(options.features ?? FEATURES), devIssuerFeature(options.devKeys)];
  const state: { ready?: Promise<Services> } = {};
  const services = () => state.ready ?? Promise.reject(new Error('services not ready'));
  // The same declarations the Functions entry registers from (its manifest is generated from FEATURES), plus the dev issuer's.
  const registrations = functionRegistrations(functionManifest(features), featuresByName(features), services);
  const configured = loadConfig(localEnvironment(options));
  const host = await startLocalHost({
    registrations,
    needsDurableClient: durableClientNeeds(features),
    maxBodyBytes: configured.maxBodyBytes,
    corsAllowedOrigins: configured.corsAllowedOrigins,
    port: options.port,
  });
  // The dev issuer's JWKS URL has the port the host got.
  const config = withDevIssuer(configured, Number(new URL(host.url).port));
  state.ready = createServices(config, { jobRuntime: localDriverRuntime(), ...options, features }).then(async (built) => {
    await prepareServices(built);
    return built;
  });
  let ready: Services;
  try {
    ready = await state.ready;
  } catch (error) {
    await host.close();
    throw error;
  }
  const timers = options.timers === false ? { stop: () => undefined } : startLocalTimers(registrations, ready.clock);
  return {
    host,
    services: ready,
    config,
    close: async () => {
      timers.stop();
      await host.close();
      await ready.requestLog.close();
    },
  };
}
