import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { COSMOS_EMULATOR_KEY } from '../local/stack.js';

const RUNS = Number(process.env.BENCH_COLD_START_RUNS ?? 20);

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'functions', 'index.js');
const bareApp = join(root, '.cache', 'bench', 'bare-functions-app.js');
const unbundledDirectory = join(root, '.cache', 'bench', 'unbundled');
const unbundledEntry = join(unbundledDirectory, 'functions', 'index.js');

/** The smallest Functions app there is: `@azure/functions` and one HTTP function. */
const BARE_APP_SOURCE = `import functions from '@azure/functions';
functions.app.http('hello', { methods: ['GET'], authLevel: 'anonymous', handler: async () => ({ body: 'hello' }) });
`;

/** What the host gives the entry: a valid configuration; nothing is contacted at import. */
const ENTRY_ENV = {
  ENGAGE_MODE: 'local',
  COSMOS_ENDPOINT: 'https://127.0.0.1:8081',
  COSMOS_KEY: COSMOS_EMULATOR_KEY,
  BLOB_ENDPOINT: 'http://127.0.0.1:10000/devstoreaccount1',
  BLOB_ACCOUNT_NAME: 'devstoreaccount1',
  BLOB_ACCOUNT_KEY: 'key',
};

interface Sample {
  importMs: number;
  processMs: number;
}

/** One fresh Node process that imports `module` and reports how long the import took. */
function sample(module: string): Sample {
  const script = `const s = performance.now(); await import(${JSON.stringify(pathToFileURL(module).href)}); process.stdout.write(String(performance.now() - s));`;
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, ...ENTRY_ENV },
    encoding: 'utf8',
  });
  const processMs = performance.now() - started;
  if (child.status !== 0) throw new Error(`importing ${module} failed: ${child.stderr}`);
  return { importMs: Number(child.stdout), processMs };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * Cold start: the import time of the function app's entry (the build output the host
 * loads) against a bare `@azure/functions` app, each in fresh processes, alternating
 * which goes first so machine noise hits both alike.
 */
export async function run(): Promise<void> {
  const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  // The same sources as plain tsc output, one file per module: what bundling saves.
  const require = createRequire(import.meta.url);
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', unbundledDirectory], { cwd: root, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}`);
  await mkdir(dirname(bareApp), { recursive: true });
  await writeFile(bareApp, BARE_APP_SOURCE);

  const variants = { bare: bareApp, unbundled: unbundledEntry, entry } as const;
  const names = Object.keys(variants) as (keyof typeof variants)[];
  for (const name of names) sample(variants[name]);
  const samples: Record<keyof typeof variants, Sample[]> = { bare: [], unbundled: [], entry: [] };
  for (let i = 0; i < RUNS; i += 1) {
    // Rotate the order so that no variant always runs first (or last) in a round.
    for (let k = 0; k < names.length; k += 1) {
      const name = names[(i + k) % names.length] as keyof typeof variants;
      samples[name].push(sample(variants[name]));
    }
  }

  console.log(`\n## Cold start: the function app's entry vs a bare @azure/functions app (${RUNS} fresh processes each, rotated)\n`);
  console.log('| variant | import median (ms) | import p90 (ms) | process median (ms) | process p90 (ms) | import vs bare (median) | import vs bare (p90) |');
  console.log('|---|---|---|---|---|---|---|');
  const bare = samples.bare.map((s) => s.importMs);
  const labels = { bare: 'bare @azure/functions app', unbundled: 'same entry, tsc output (not bundled)', entry: 'dist/functions/index.js (npm run build: manifest, bundled)' };
  for (const name of names) {
    const imports = samples[name].map((s) => s.importMs);
    const processes = samples[name].map((s) => s.processMs);
    const cells = [quantile(imports, 0.5), quantile(imports, 0.9), quantile(processes, 0.5), quantile(processes, 0.9)].map((v) => v.toFixed(1));
    const ratios = [0.5, 0.9].map((q) => `${(quantile(imports, q) / quantile(bare, q)).toFixed(2)}x`);
    console.log(`| ${labels[name]} | ${cells.join(' | ')} | ${ratios.join(' | ')} |`);
  }
  console.log(`\nNode ${process.version}. Import time is measured inside each child; "process" is spawn to exit.`);
  console.log('What the entry loads at import is checked by tests/ops/lazy-entry.test.ts (no SDK, no feature module: they load on the first invocation).');
  console.log(`Load average at the end: ${loadavg().map((value) => value.toFixed(2)).join(', ')}.`);
}
