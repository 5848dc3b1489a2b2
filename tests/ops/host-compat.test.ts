import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/config.js';
import { ENTRY_OUTDIR } from '../../scripts/bundle-entry.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const readJson = async <T>(file: string): Promise<T> => JSON.parse(await readFile(join(root, file), 'utf8')) as T;

interface LocalSettings {
  IsEncrypted: boolean;
  Values: Record<string, string>;
  Host?: { CORS?: string; CORSCredentials?: boolean };
}

describe('what the Functions host and Core Tools read', () => {
  it('package.json: an ES module app whose main is the bundled entry that npm run build makes of functions/', async () => {
    const pkg = await readJson<{ type: string; main: string; scripts: Record<string, string> }>('package.json');
    const build = await readJson<{ extends: string; include: string[] }>('tsconfig.build.json');
    expect(pkg.type).toBe('module');
    expect(pkg.main).toBe('dist/functions/*.js');
    // The manifest, the type check, then functions/index.ts bundled into dist/functions/index.js, the one file
    // the glob matches (its chunks are in dist/functions/chunks/): what `func start` and the deployment load.
    expect(pkg.scripts.build).toBe('tsx scripts/function-manifest.ts && tsc --noEmit -p tsconfig.build.json && tsx scripts/bundle-entry.ts');
    expect(ENTRY_OUTDIR).toBe(join(root, 'dist', 'functions'));
    expect(build.include).toEqual(expect.arrayContaining(['functions', 'lib']));
  });

  it('host.json: v2 schema, the v4 extension bundle (timers, Durable Functions), routes under /api', async () => {
    const host = await readJson<Record<string, any>>('host.json');
    expect(host.version).toBe('2.0');
    expect(host.extensionBundle).toEqual({ id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' });
    expect(host.extensions.http.routePrefix).toBe('api');
    expect(host.extensions.durableTask.hubName).toMatch(/^[A-Za-z][A-Za-z0-9]{2,49}$/);
    // A second start of an erasure's or a run's instance id never replaces one still running.
    expect(host.extensions.durableTask.overridableExistingInstanceStates).toBe('NonRunningStates');
    // Requests are the host's telemetry (the SDK does not duplicate them) and are never sampled away.
    expect(host.logging.applicationInsights.samplingSettings.excludedTypes).toContain('Request');
  });

  it('local.settings.example.json: node worker, Azurite for host storage, a valid app config, CORS as the app has it', async () => {
    const settings = await readJson<LocalSettings>('local.settings.example.json');
    expect(settings.IsEncrypted).toBe(false);
    expect(settings.Values.FUNCTIONS_WORKER_RUNTIME).toBe('node');
    expect(settings.Values.AzureWebJobsStorage).toBe('UseDevelopmentStorage=true');
    const config = loadConfig(settings.Values);
    expect(config.mode).toBe('local');
    // Under `func start` the Core Tools host answers CORS itself, from Host.CORS.
    expect(settings.Host?.CORS?.split(',').map((origin) => origin.trim())).toEqual(config.corsAllowedOrigins);
    expect(settings.Host?.CORSCredentials).toBe(true);
  });
});
