import { StartupFailure } from './http/dispatcher.js';
import type { Services } from './services.js';
import { scrubText } from './telemetry/scrubber.js';

let services: Promise<Services> | undefined;

/**
 * Services for the Functions host, built on the first request: the heavy SDKs load
 * lazily so the entry module stays cheap to import (cold start). A failed start-up
 * (residency check, unreachable account) is kept, so every request answers 503 loudly
 * instead of half-serving.
 */
export function processServices(): Promise<Services> {
  services ??= (async () => {
    const [{ loadConfig }, { createServices, prepareServices }] = await Promise.all([
      import('./config/config.js'),
      import('./composition-root.js'),
    ]);
    const built = await createServices(loadConfig(process.env));
    await prepareServices(built);
    return built;
  })().catch((error: unknown) => {
    const reason = error instanceof Error ? error : new Error(String(error));
    console.error(JSON.stringify({ level: 'error', event: 'startup-failed', error: reason.name, message: scrubText(reason.message) }));
    throw new StartupFailure(reason);
  });
  return services;
}
