import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COSMOS_EMULATOR_KEY } from '../../local/stack.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const recorder = pathToFileURL(join(root, 'tests', 'ops', 'support', 'record-loads.mjs')).href;

/** Packages whose import would make every cold start pay for them before any request needs them. */
/** A feature's declaration, its routes and the request pipeline: what the first invocation loads. */
const FEATURE_CODE = /-feature\.ts$|-routes\.ts$|\/http\/dispatcher\.ts$/;

const HEAVY = ['@azure/cosmos', '@azure/storage-blob', '@azure/identity', 'applicationinsights', '@azure/monitor-opentelemetry', '@opentelemetry/sdk-node', 'jose', 'durable-functions'];

/** The modules (file URLs) a fresh Node process loads, through import or require, when it imports `module`. */
async function modulesLoadedBy(module: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--import', recorder, '--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(root, module)).href)});`],
    {
      cwd: root,
      env: {
        ...process.env,
        ENGAGE_MODE: 'local',
        COSMOS_ENDPOINT: 'https://127.0.0.1:1',
        COSMOS_KEY: COSMOS_EMULATOR_KEY,
        BLOB_ENDPOINT: 'http://127.0.0.1:1/devstoreaccount1',
        BLOB_ACCOUNT_NAME: 'devstoreaccount1',
        BLOB_ACCOUNT_KEY: 'key',
      },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const marker = stdout.lastIndexOf('LOADED-MODULES ');
  return JSON.parse(stdout.slice(marker + 'LOADED-MODULES '.length)) as string[];
}

/** The packages among them. */
async function packagesLoadedBy(module: string): Promise<Set<string>> {
  const packages = (await modulesLoadedBy(module))
    .filter((url) => url.includes('/node_modules/'))
    .map((url) => {
      const [scopeOrName = '', name = ''] = url.slice(url.lastIndexOf('/node_modules/') + '/node_modules/'.length).split('/');
      return scopeOrName.startsWith('@') ? `${scopeOrName}/${name}` : scopeOrName;
    });
  return new Set(packages);
}

describe('cold start: the Functions entry loads lazily', () => {
  it('importing functions/index.ts registers the app without loading any SDK', async () => {
    const loaded = await packagesLoadedBy('functions/index.ts');
    // The recorder works: what registration needs is there.
    expect(loaded).toContain('@azure/functions');
    expect(loaded).toContain('zod');
    expect(HEAVY.filter((name) => loaded.has(name))).toEqual([]);
  }, 60_000);

  it('the recorder does see the SDKs when the composition root is imported (the control)', async () => {
    const loaded = await packagesLoadedBy('lib/composition-root.ts');
    expect(loaded).toContain('@azure/cosmos');
    expect(loaded).toContain('@azure/storage-blob');
  }, 60_000);

  it('registers from the manifest: no feature module, route definition or dispatcher is imported before a function runs', async () => {
    const own = (await modulesLoadedBy('functions/index.ts')).filter((url) => !url.includes('/node_modules/')).map((url) => url.slice(url.indexOf('/lib/') + 1));
    expect(own).toContain('lib/config/config.ts');
    // Loaded now, outside any invocation, or the audit log's group write would run in its first reader's request.
    expect(own).toContain('lib/app/process-context.ts');
    expect(own.filter((file) => FEATURE_CODE.test(file))).toEqual([]);
  }, 60_000);

  it('the recorder does see the feature modules when the feature list is imported (the control)', async () => {
    const own = await modulesLoadedBy('lib/features.ts');
    expect(own.filter((url) => FEATURE_CODE.test(url)).length).toBeGreaterThan(30);
  }, 60_000);
});
