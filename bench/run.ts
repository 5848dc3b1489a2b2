import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * `npm run bench [name...]`: runs the benchmark modules in `bench/` one after another.
 * A benchmark module is a `bench/*.ts` file that exports `run(): Promise<void>` and
 * prints its own (markdown) report; files without `run` are helpers and are skipped.
 * Names on the command line (`npm run bench -- cold-start`) pick modules.
 */
interface BenchModule {
  run(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));

async function benchmarks(only: readonly string[]): Promise<{ name: string; module: BenchModule }[]> {
  const files = (await readdir(here)).filter((file) => file.endsWith('.ts') && file !== basename(fileURLToPath(import.meta.url))).sort();
  const found: { name: string; module: BenchModule }[] = [];
  for (const file of files) {
    const name = file.replace(/\.ts$/, '');
    if (only.length > 0 && !only.includes(name)) continue;
    const module = (await import(pathToFileURL(join(here, file)).href)) as Partial<BenchModule>;
    if (typeof module.run === 'function') found.push({ name, module: module as BenchModule });
  }
  const unknown = only.filter((name) => !found.some((bench) => bench.name === name));
  if (unknown.length > 0) throw new Error(`no benchmark module named ${unknown.join(', ')} in bench/`);
  return found;
}

async function main(): Promise<void> {
  const selected = await benchmarks(process.argv.slice(2));
  const summary: { name: string; seconds: number; outcome: string }[] = [];
  for (const { name, module } of selected) {
    console.log(`\n# ${name}`);
    const started = performance.now();
    const exitCodeBefore = process.exitCode;
    process.exitCode = undefined;
    let outcome = 'ok';
    try {
      await module.run();
      if (process.exitCode) outcome = `failed (exit code ${String(process.exitCode)})`;
    } catch (error) {
      outcome = `failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    process.exitCode = outcome === 'ok' ? exitCodeBefore : 1;
    summary.push({ name, seconds: (performance.now() - started) / 1000, outcome });
  }
  console.log('\n# Summary\n\n| benchmark | time (s) | outcome |\n|---|---|---|');
  for (const row of summary) console.log(`| ${row.name} | ${row.seconds.toFixed(1)} | ${row.outcome} |`);
}

await main();
