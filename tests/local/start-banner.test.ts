import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { loadOrCreateDevKeys } from '../../local/dev-issuer.js';
import { startLocalApp, type LocalApp } from '../../local/local-app.js';
import { startBanner } from '../../local/start-banner.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

let app: LocalApp;
let banner: string;

beforeAll(async () => {
  // The keys `npm run token` uses in this checkout, as npm start would.
  app = await startLocalApp({
    cosmosEndpoint: inject('cosmosEndpoint'),
    blobEndpoint: inject('blobEndpoint'),
    devKeys: await loadOrCreateDevKeys(join(ROOT, '.local')),
    port: 0,
    env: { COSMOS_DATABASE: `test-${randomUUID().slice(0, 8)}` },
  });
  banner = startBanner({ api: app.host.url, cosmosEndpoint: 'https://127.0.0.1:8081', blobEndpoint: 'http://127.0.0.1:10000/devstoreaccount1', ownEmulators: true, seed: 'seeded' });
}, 120_000);
afterAll(() => app.close());

const commandAfter = (label: string) => banner.split('\n').find((line) => line.trimStart().startsWith(label))?.split(`${label}`)[1]?.trim() ?? '';

describe('the npm start banner', () => {
  it('every npm line is silent (-s), so a captured token is the token alone; no OS-specific opener', () => {
    const npmLines = banner.split('\n').filter((line) => line.includes('npm run'));
    expect(npmLines.length).toBeGreaterThan(5);
    for (const line of npmLines) expect(line).toContain('npm run -s token -- ');
    expect(banner).not.toMatch(/\bopen http/);
  });

  it('its token and request lines run as printed in bash and reach the API', async () => {
    const script = [commandAfter('a token:'), commandAfter('then:')].join('\n');
    expect(script).toMatch(/^TOKEN=\$\(npm run -s token -- demo-teacher\)\ncurl /);
    const { stdout } = await run('bash', ['-c', script], { cwd: ROOT, timeout: 60_000 });
    expect(JSON.parse(stdout)).toMatchObject({ kind: 'unregistered' });
    const health = await run('bash', ['-c', commandAfter('health:')], { cwd: ROOT, timeout: 30_000 });
    expect(JSON.parse(health.stdout)).toMatchObject({ status: expect.any(String) });
  }, 90_000);
});
