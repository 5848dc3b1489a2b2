import { functionRegistrations } from '../lib/app/function-registrations.js';
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
}

export interface LocalApp {
  host: LocalHost;
  services: Services;
  config: AppConfig;
  close(): Promise<void>;
}

/**
 * Local configuration: the same zod schema as Azure, fed with emulator settings and the
 * dev issuer, whose JWKS the local host itself serves. Anything in `env` wins.
 */
export function localEnvironment(options: LocalAppOptions, port: number): Record<string, string | undefined> {
  const env = { ...options.env };
  const devIssuer = {
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    jwksUri: `http://127.0.0.1:${port}/api/dev/jwks`,
    algorithms: ['ES256'],
  };
  const issuers = env.OIDC_ISSUERS ? (JSON.parse(env.OIDC_ISSUERS) as unknown[]) : [];
  const operators = env.PLATFORM_OPERATORS ? (JSON.parse(env.PLATFORM_OPERATORS) as unknown[]) : [];
  return {
    ENGAGE_MODE: 'local',
    COSMOS_KEY: COSMOS_EMULATOR_KEY,
    BLOB_ACCOUNT_NAME: AZURITE_ACCOUNT,
    BLOB_ACCOUNT_KEY: AZURITE_KEY,
    ...env,
    COSMOS_ENDPOINT: options.cosmosEndpoint,
    BLOB_ENDPOINT: options.blobEndpoint,
    OIDC_ISSUERS: JSON.stringify([devIssuer, ...issuers]),
    PLATFORM_OPERATORS: JSON.stringify([{ issuer: DEV_ISSUER, subject: DEV_OPERATOR_SUBJECT }, ...operators]),
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
  const registrations = functionRegistrations(features, services);
  // The host must listen before the config is final (the dev issuer's JWKS URL has its port).
  const preliminary = loadConfig(localEnvironment(options, options.port || 1));
  const host = await startLocalHost({
    registrations,
    maxBodyBytes: preliminary.maxBodyBytes,
    corsAllowedOrigins: preliminary.corsAllowedOrigins,
    port: options.port,
  });
  const actualPort = Number(new URL(host.url).port);
  const config = loadConfig(localEnvironment(options, actualPort));
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
  const timers = startLocalTimers(registrations, ready.clock);
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
