import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AZURITE_ACCOUNT, AZURITE_KEY, COSMOS_EMULATOR_KEY, freePort, startAzurite, startCosmosEmulator, type ChildService } from '../local/stack.js';
import { fmt } from './bench-stack.js';

const RUNS = Number(process.env.BENCH_FIRST_INVOCATION_RUNS ?? 8);
/** Another build of the entry (another commit's, say) to run side by side with this one, alternating. */
const VERSUS = process.env.BENCH_FIRST_INVOCATION_VS;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'functions', 'index.js');
const capture = join(root, '.cache', 'bench', 'capture-handlers.mjs');

/**
 * Preloaded with `node --import`: keeps the handler of every `app.http` registration, so a
 * process can call one as the Functions host would on its first request.
 */
const CAPTURE_SOURCE = `import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/package.json');
const { app } = require('@azure/functions');
globalThis.capturedHandlers = new Map();
app.http = (name, options) => globalThis.capturedHandlers.set(name, options.handler);
app.timer = () => undefined;
app.generic = () => undefined;
app.hook.appTerminate = () => undefined;
`;

/** Imports the entry, then calls GET /health twice (it reads Cosmos DB and Blob), timing each step. */
const PROBE = (entryUrl: string) => `
const { HttpRequest, InvocationContext } = (await import('@azure/functions')).default;
const started = performance.now();
await import(${JSON.stringify(entryUrl)});
const imported = performance.now();
const handler = globalThis.capturedHandlers.get('health');
const call = async () => {
  const request = new HttpRequest({ method: 'GET', url: 'http://localhost/api/health', headers: {}, params: {}, query: {} });
  const response = await handler(request, new InvocationContext({ functionName: 'health', invocationId: crypto.randomUUID() }));
  if (response.status !== 200) throw new Error('health answered ' + response.status + ' ' + response.body);
};
await call();
const first = performance.now();
await call();
const second = performance.now();
process.stdout.write(JSON.stringify({ importMs: imported - started, firstMs: first - imported, secondMs: second - first }));
process.exit(0);
`;

interface Sample {
  importMs: number;
  firstMs: number;
  secondMs: number;
}

/**
 * The first invocation after a cold start: a fresh process imports the built entry (no SDK,
 * no feature loaded) and answers GET /health, which loads the health feature and builds the
 * services (loading every feature and the Cosmos DB and Blob SDKs) and reads both stores;
 * then a second call on the warm process. Local mode, so the first call also makes sure the
 * database and its containers exist (they do: a first process created them), which Azure
 * mode replaces with the residency check.
 */
export async function run(): Promise<void> {
  const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  await mkdir(dirname(capture), { recursive: true });
  await writeFile(capture, CAPTURE_SOURCE);
  const directory = await mkdtemp(join(tmpdir(), 'engage-bench-first-'));
  const services: ChildService[] = [];
  try {
    services.push(await startCosmosEmulator(await freePort(), true), await startAzurite(await freePort(), directory, true));
    const [cosmos, azurite] = services as [ChildService, ChildService];
    const env = {
      ...process.env,
      ENGAGE_MODE: 'local',
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: COSMOS_EMULATOR_KEY,
      COSMOS_DATABASE: 'bench-first',
      BLOB_ENDPOINT: azurite.endpoint,
      BLOB_ACCOUNT_NAME: AZURITE_ACCOUNT,
      BLOB_ACCOUNT_KEY: AZURITE_KEY,
    };
    const sample = (module: string): Sample => {
      const child = spawnSync(process.execPath, ['--import', pathToFileURL(capture).href, '--input-type=module', '-e', PROBE(pathToFileURL(module).href)], { cwd: root, env, encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`the first invocation of ${module} failed: ${child.stderr.slice(-2000)}`);
      return JSON.parse(child.stdout.slice(child.stdout.lastIndexOf('{'))) as Sample;
    };
    const entries = [entry, ...(VERSUS ? [resolve(VERSUS)] : [])];
    sample(entry); // creates the database and containers, so the runs measured find them
    const samples = new Map<string, Sample[]>(entries.map((module) => [module, []]));
    for (let i = 0; i < RUNS; i += 1) {
      // Alternate which entry goes first, so machine noise hits both alike.
      for (let k = 0; k < entries.length; k += 1) {
        const module = entries[(i + k) % entries.length] as string;
        samples.get(module)?.push(sample(module));
      }
    }
    const median = (of: Sample[], pick: (s: Sample) => number) => [...of.map(pick)].sort((a, b) => a - b)[Math.floor(of.length / 2)] ?? 0;
    const columns = entries.map((module) => samples.get(module) ?? []);
    const row = (step: string, pick: (s: Sample) => number) => `| ${step} | ${columns.map((of) => fmt(median(of, pick))).join(' | ')} |`;
    console.log(`\n## First invocation after a cold start (${RUNS} fresh processes per entry, medians, ms)\n`);
    console.log(`| step | ${entries.map((module) => relative(root, module)).join(' | ')} |\n|---|${entries.map(() => '---|').join('')}`);
    console.log(row('import the built entry', (s) => s.importMs));
    console.log(row('first GET /health (load the health feature, build services, load the SDKs, read Cosmos DB and Blob)', (s) => s.firstMs));
    console.log(row('second GET /health (warm)', (s) => s.secondMs));
    console.log(row('import + first GET /health', (s) => s.importMs + s.firstMs));
    console.log(`\nLoad average at the end: ${loadavg().map((value) => value.toFixed(2)).join(', ')}.`);
  } finally {
    for (const service of services) await service.stop();
    await rm(directory, { recursive: true, force: true });
  }
}
