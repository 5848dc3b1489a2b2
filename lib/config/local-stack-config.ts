import { z } from 'zod';
import { ConfigError, loadConfig, problemLines, type AppConfig } from './config.js';

type Environment = Record<string, string | undefined>;

/** `npm start` is the local stack; azure mode is the Functions host's (docs/operations.md). */
export const AZURE_MODE_UNDER_NPM_START =
  'npm start is the local stack (emulators, dev issuer) and runs in local mode only; for azure mode run the app on the Functions host: ' +
  '`npm run host-stack`, then `npm run build && func start` with azure settings in local.settings.json, or deployed with `azd up` (docs/operations.md)';

const optionalUrl = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value))
  .pipe(z.url().optional());

/** The settings only the local stack reads; everything else is the app's schema (config.ts). */
const localStackSchema = z.object({
  ENGAGE_MODE: z
    .string()
    .optional()
    .refine((mode) => mode === undefined || mode === '' || mode === 'local', AZURE_MODE_UNDER_NPM_START),
  PORT: z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? '7071' : value.trim()))
    .pipe(z.string().regex(/^\d{1,5}$/, 'must be a port number (1-65535)').transform(Number))
    .pipe(z.number().int().min(1, 'must be a port number (1-65535)').max(65_535, 'must be a port number (1-65535)')),
  COSMOS_ENDPOINT: optionalUrl,
  BLOB_ENDPOINT: optionalUrl,
});

export interface LocalStackSettings {
  port: number;
  /** An emulator already running; unset means the stack starts its own. */
  cosmosEndpoint: string | undefined;
  blobEndpoint: string | undefined;
}

/**
 * Checks the whole environment of `npm start` before any emulator starts: the local stack's
 * own settings and, through `appEnvironment` (how the stack will configure the app), every
 * setting of the app's schema. One `ConfigError` lists every bad variable; values are never echoed.
 */
export function loadLocalStackConfig(
  env: Environment,
  appEnvironment: (settings: LocalStackSettings) => Environment,
): { settings: LocalStackSettings; app: AppConfig } {
  const stack = localStackSchema.safeParse(env);
  const problems = stack.success ? [] : problemLines(stack.error);
  const settings: LocalStackSettings = stack.success
    ? { port: stack.data.PORT, cosmosEndpoint: stack.data.COSMOS_ENDPOINT, blobEndpoint: stack.data.BLOB_ENDPOINT }
    : { port: 7071, cosmosEndpoint: undefined, blobEndpoint: undefined };
  let app: AppConfig | undefined;
  try {
    // The local stack judged ENGAGE_MODE above; the app is checked as the stack will run it.
    app = loadConfig({ ...appEnvironment(settings), ENGAGE_MODE: 'local' });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || !app) throw new ConfigError([...new Set(problems)].sort());
  return { settings, app };
}
