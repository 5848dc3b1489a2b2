import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoRosterFiles } from '../../local/demo-roster.js';

const CLI = fileURLToPath(new URL('../../local/write-demo-roster.ts', import.meta.url));
const TSX = fileURLToPath(import.meta.resolve('tsx/cli'));
const run = promisify(execFile);

describe('npm run demo-roster', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'demo-roster-'));
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it('writes the OneRoster set the demo seed imports, as of today, to the file named', async () => {
    const target = join(directory, 'demo.zip');
    const { stdout } = await run(process.execPath, [TSX, CLI, target], { env: { PATH: process.env.PATH ?? '' } });
    expect(stdout).toContain(target);
    const entries = Object.fromEntries(Object.entries(unzipSync(await readFile(target))).map(([name, bytes]) => [name, strFromU8(bytes)]));
    expect(entries).toEqual(demoRosterFiles({ today: new Date(), identityType: 'Feide' }));
    // P19: of the demographics, the birth date only.
    expect(entries['demographics.csv']?.split('\r\n')[0]).toBe('sourcedId,status,dateLastModified,birthDate');
  }, 60_000);

  it('takes the login type npm start reads (ROSTER_IDENTITY_TYPE)', async () => {
    const target = join(directory, 'entra.zip');
    await run(process.execPath, [TSX, CLI, target], { env: { PATH: process.env.PATH ?? '', ROSTER_IDENTITY_TYPE: 'EntraID' } });
    const users = strFromU8(unzipSync(await readFile(target))['users.csv'] as Uint8Array);
    expect(users).toContain('{EntraID:demo-teacher}');
    expect(users).not.toContain('{Feide:');
  }, 60_000);
});
