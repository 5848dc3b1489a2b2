// The Functions entry as the host loads it, under `func start` and in the deployment package
// alike: functions/index.ts bundled by esbuild into dist/functions/index.js, each feature (and
// what only the first invocation needs) in a chunk of its own under dist/functions/chunks/,
// which the `main` glob (`dist/functions/*.js`) does not match. `npm run build` runs it after
// the type check; the cold-start bench and tests/ops/host-conformance.test.ts build the same.
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
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

/** Bundles the entry into `outdir` (emptied first, so no stale file matches the `main` glob). */
export async function bundleEntry(outdir = ENTRY_OUTDIR): Promise<Metafile> {
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    ...(await appBundleOptions()),
    absWorkingDir: root,
    entryPoints: [join(root, 'functions', 'index.ts')],
    outdir,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
  });
  return result.metafile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const metafile = await bundleEntry();
  const outputs = Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.js'));
  const entry = outputs.find(([, output]) => output.entryPoint);
  console.log(`bundled ${relative(root, ENTRY_OUTDIR)}/index.js (${Math.round((entry?.[1].bytes ?? 0) / 1024)} KB) and ${outputs.length - 1} chunks loaded on first invocation`);
}
