// The Functions entry as the host loads it, under `func start` and in the deployment package
// alike: functions/index.ts bundled by esbuild into dist/functions/index.js, each feature (and
// what only the first invocation needs) in a chunk of its own under dist/functions/chunks/,
// which the `main` glob (`dist/functions/*.js`) does not match. `npm run build` runs it after
// the type check; the cold-start bench and tests/ops/host-conformance.test.ts build the same.
import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ENTRY_OUTDIR = join(root, 'dist', 'functions');

/**
 * The dependencies bundled into the entry: zod, which registration's configuration check needs
 * at load and which imports several times faster as part of one file than as its ~80 modules.
 * Every other dependency stays in node_modules: the SDKs load lazily anyway, `@azure/functions`
 * must be the worker's own instance, and some read files beside their code (pdfkit, fonts, swagger-ui).
 */
const BUNDLED_DEPENDENCIES = ['zod'];

/**
 * How the app's code is bundled, as the host loads it: one ES module for Node 22, the
 * dependencies left in node_modules but for `BUNDLED_DEPENDENCIES`. `alsoExternal`: packages
 * outside `dependencies` to leave there too (the roster bench's memory child, bundled the same
 * way, imports dev dependencies).
 */
export async function appBundleOptions(alsoExternal: readonly string[] = []): Promise<BuildOptions> {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const external = [...Object.keys(pkg.dependencies), ...alsoExternal].filter((name) => !BUNDLED_DEPENDENCIES.includes(name));
  return {
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    // A package named here is external with its subpaths (`csv-parse/sync`).
    external,
    sourcemap: true,
    logLevel: 'warning',
  };
}

/**
 * Worker threads' scripts, bundled as entries of their own into `chunks/`, beside the chunk of
 * the module that starts them, which finds its worker as `./<name>.js` from its own URL (as
 * `./<name>.ts` in the source).
 */
export const WORKER_ENTRIES = [{ script: 'lib/roster-import/roster-plan-worker.ts', startedBy: 'lib/roster-import/roster-plan-host.ts' }] as const;

/** Bundles the entry into `outdir` (emptied first, so no stale file matches the `main` glob), and each worker script beside the module that starts it. */
export async function bundleEntry(outdir = ENTRY_OUTDIR): Promise<Metafile> {
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    ...(await appBundleOptions()),
    absWorkingDir: root,
    entryPoints: [
      { in: join(root, 'functions', 'index.ts'), out: 'index' },
      ...WORKER_ENTRIES.map(({ script }) => ({ in: join(root, script), out: `chunks/${basename(script, '.ts')}` })),
    ],
    outdir,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
  });
  assertWorkersBesideStarters(result.metafile);
  return result.metafile;
}

/** A starter inlined into `index.js` (imported statically by the entry) would look for its worker in the wrong folder. */
function assertWorkersBesideStarters(metafile: Metafile): void {
  const outputs = Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.js'));
  for (const { script, startedBy } of WORKER_ENTRIES) {
    const worker = outputs.find(([, output]) => output.entryPoint === script)?.[0];
    const starter = outputs.find(([, output]) => startedBy in output.inputs)?.[0];
    if (!worker || !starter || dirname(worker) !== dirname(starter)) throw new Error(`${script} is not bundled beside ${startedBy} (${worker ?? 'no output'}, ${starter ?? 'no output'})`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const metafile = await bundleEntry();
  const outputs = Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.js'));
  const entry = outputs.find(([, output]) => output.entryPoint === 'functions/index.ts');
  console.log(`bundled ${relative(root, ENTRY_OUTDIR)}/index.js (${Math.round((entry?.[1].bytes ?? 0) / 1024)} KB), ${outputs.length - 1 - WORKER_ENTRIES.length} chunks loaded on first invocation and ${WORKER_ENTRIES.length} worker script(s)`);
}
