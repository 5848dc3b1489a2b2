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

const PORT_MESSAGE = 'must be a port number (1-65535)';
const port = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? String(fallback) : value.trim()))
    .pipe(z.string().regex(/^\d{1,5}$/, PORT_MESSAGE).transform(Number))
    .pipe(z.number().int().min(1, PORT_MESSAGE).max(65_535, PORT_MESSAGE));

/** The settings only the local stack reads; everything else is the app's schema (config.ts). */
const localStackSchema = z
  .object({
    ENGAGE_MODE: z
      .string()
      .optional()
      .refine((mode) => mode === undefined || mode === '' || mode === 'local', AZURE_MODE_UNDER_NPM_START),
    PORT: port(7071),
    COSMOS_EMULATOR_PORT: port(8081),
    AZURITE_PORT: port(10000),
    COSMOS_ENDPOINT: optionalUrl,
    BLOB_ENDPOINT: optionalUrl,
  })
  .superRefine((env, ctx) => {
    // One lifecycle: the stack's own emulators both start empty; emulators of your own both keep what they keep.
    if ((env.COSMOS_ENDPOINT === undefined) !== (env.BLOB_ENDPOINT === undefined)) {
      const [missing, set] = env.COSMOS_ENDPOINT === undefined ? ['COSMOS_ENDPOINT', 'BLOB_ENDPOINT'] : ['BLOB_ENDPOINT', 'COSMOS_ENDPOINT'];
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: `must be set too when ${set} is: use emulators of your own for both, or for neither (npm start's own start empty each time)`,
      });
    }
  });

export interface LocalStackSettings {
  port: number;
  /** Ports of the emulators the stack starts itself. */
  cosmosEmulatorPort: number;
  azuritePort: number;
  /** An emulator already running; unset means the stack starts its own. */
  cosmosEndpoint: string | undefined;
  blobEndpoint: string | undefined;
}

/** The local stack's own settings alone (for the tools that talk to a running stack: `npm run job`). */
export function localStackSettings(env: Environment): LocalStackSettings {
  const stack = localStackSchema.safeParse(env);
  if (!stack.success) throw new ConfigError(problemLines(stack.error));
  return settingsOf(stack.data);
}

function settingsOf(data: z.infer<typeof localStackSchema>): LocalStackSettings {
  return {
    port: data.PORT,
    cosmosEmulatorPort: data.COSMOS_EMULATOR_PORT,
    azuritePort: data.AZURITE_PORT,
    cosmosEndpoint: data.COSMOS_ENDPOINT,
    blobEndpoint: data.BLOB_ENDPOINT,
  };
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
  // With bad settings the app is still checked, against the defaults, so that one message names everything.
  const settings = settingsOf(stack.success ? stack.data : localStackSchema.parse({}));
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
