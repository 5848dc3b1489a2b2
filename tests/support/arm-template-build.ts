import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TEMPLATE_PATH = join(ROOT, 'infra', 'build', 'main.json');

/** The Bicep sources, the JSON they load (loadJsonContent) and the linter configuration: the compiled template must be newer than each. */
export function bicepSources(): string[] {
  const sources = [join(ROOT, 'bicepconfig.json')];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'build') visit(full);
      else if (entry.name.endsWith('.bicep') || entry.name.endsWith('.json')) sources.push(full);
    }
  };
  visit(join(ROOT, 'infra'));
  return sources;
}

function isCurrent(): boolean {
  if (!existsSync(TEMPLATE_PATH)) return false;
  const built = statSync(TEMPLATE_PATH).mtimeMs;
  return bicepSources().every((source) => statSync(source).mtimeMs <= built);
}

/**
 * Builds infra/build/main.json (lint included) when it is missing or older than its sources,
 * as `scripts/bicep-build.sh` does, so that `npm test` needs no step of its own. Returns why
 * the infrastructure tests cannot run, when no Bicep CLI can be had (no dotnet to restore it);
 * under CI that is a failure instead. A Bicep that does not lint or compile always fails.
 */
export function ensureArmTemplate(): string | undefined {
  if (isCurrent()) return undefined;
  if (spawnSync('dotnet', ['--version'], { stdio: 'ignore' }).status !== 0) {
    const reason = `no Bicep CLI: ${relative(ROOT, TEMPLATE_PATH)} is ${existsSync(TEMPLATE_PATH) ? 'older than its sources' : 'missing'} and dotnet, which restores the CLI (scripts/bicep-build.sh), is not installed`;
    if (process.env.CI === 'true') throw new Error(`${reason}; under CI the infrastructure tests must run`);
    return reason;
  }
  const build = spawnSync('bash', [join(ROOT, 'scripts', 'bicep-build.sh')], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`scripts/bicep-build.sh failed:\n${`${build.stdout}${build.stderr}`.slice(-4000)}`);
  return undefined;
}
