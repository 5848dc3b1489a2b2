import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.js';
import { bootstrapAdminToken, cosmosOperations, registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { csv, declared, importRoster, movedCentralDirectory, rosterFiles, tamper, upload, zip, type RosterFiles } from './oneroster-fixture.js';

const M = '1804';
/** An entry name an attacker chose: it must never reach a problem, a run or a log line. */
const CANARY = 'ZZ-CANARY-ENTRY';

const good = (): RosterFiles =>
  rosterFiles({
    municipalityId: M,
    schools: [{ sourcedId: 'sch-1', name: 'Bodø skole', organisationNumber: '974700001' }],
    people: [{ sourcedId: 's-1', givenName: 'Elev', familyName: 'Nordmann', role: 'student', school: 'sch-1', grade: '04', birthDate: '2017-04-04' }],
    classes: [],
    enrollments: [],
  });

/** Zeros compress some 1000:1; a central directory that declares 100 KiB for them hides the ratio. */
function lyingBomb(files: RosterFiles, fileName: string): Uint8Array {
  const packed = zipSync({ ...Object.fromEntries(Object.entries(files).map(([name, content]) => [name, typeof content === 'string' ? strToU8(content) : content])), [fileName]: new Uint8Array(8 * 1024 * 1024) }, { level: 9 });
  return tamper(packed, fileName, { uncompressedSize: 100 * 1024 });
}

describe('roster import: a damaged or hostile zip is refused as the file, never answered 500 or blamed on the database', () => {
  let test: TestApp;
  let admin: string;
  const logged: string[] = [];

  beforeAll(async () => {
    test = await startTestApp({ composition: { logger: createLogger((_level, line) => void logged.push(line)) } });
    await registerMunicipality(test, M);
    admin = await bootstrapAdminToken(test, M);
  }, 60_000);

  afterAll(async () => {
    await test?.close();
  });

  it('refuses at the start (400 on body/blob, nothing written) a zip whose manifest does not inflate, is cut short, fails its CRC-32, lies about its size, or breaks a limit', async () => {
    const set = good();
    const packed = zip(set);
    const manifestEntry = declared(packed, 'manifest.csv');
    const cases: [string, Uint8Array, RegExp][] = [
      ['damaged deflate data', tamper(packed, 'manifest.csv', { data: (bytes) => void (bytes[0] = 0xff) }), /manifest\.csv is damaged: its compressed data does not inflate/],
      ['a deflate stream cut short', tamper(packed, 'manifest.csv', { compressedSize: Math.floor(manifestEntry.compressedSize / 2) }), /manifest\.csv is damaged: its compressed data does not inflate/],
      ['a wrong CRC-32', tamper(packed, 'manifest.csv', { crc32: (manifestEntry.crc32 ^ 1) >>> 0 }), /manifest\.csv is damaged: its CRC-32 does not match/],
      ['a size that lies (a zip bomb)', tamper(packed, 'manifest.csv', { uncompressedSize: 10 }), /manifest\.csv inflates to another size than the zip declares/],
      ['a zip cut short', packed.subarray(0, packed.length - 30), /not a zip archive \(or it was cut short\)/],
      // yauzl reads where the zip says; a range past the blob's end was answered 416 by Blob Storage and became a 500.
      ['a central directory past the end', movedCentralDirectory(packed, 0x7fff0000), /the zip is damaged: it points past its own end/],
      ['a manifest header past the end', tamper(packed, 'manifest.csv', { localHeaderOffset: 0x7fff0000 }), /the zip is damaged: it points past its own end/],
      ['directories beyond the entry limit', zip({ ...set, ...Object.fromEntries(Array.from({ length: 30 }, (_, index) => [`${CANARY}-${index}/`, new Uint8Array(0)])) }), /more than 32 entries/],
      ['a manifest beyond 64 KiB', zip({ ...set, 'manifest.csv': `${set['manifest.csv'] as string}${csv(Array.from({ length: 4000 }, (_, index) => [`x.padding${index}`, 'filler']))}` }), /manifest\.csv inflates beyond 65536 bytes/],
      ['an entry named out of the zip', zip({ ...set, [`a/../../${CANARY}.csv`]: 'x' }), /an entry has a name that is not a plain relative path/],
      ['an unknown entry over the compression ratio', zipSync({ 'manifest.csv': strToU8(set['manifest.csv'] as string), [`${CANARY}.csv`]: new Uint8Array(8 * 1024 * 1024) }, { level: 9 }), /an entry is compressed more than 200:1/],
    ];
    for (const [label, file, reason] of cases) {
      const blob = await upload(test, admin, M, file);
      const response = await test.request('POST', `/municipalities/${M}/roster-imports`, { token: admin, body: { blob, mode: 'bulk' } });
      expect({ label, status: response.status, field: response.body?.errors?.[0]?.field }).toEqual({ label, status: 400, field: 'body/blob' });
      expect(response.body.errors[0].message, label).toMatch(reason);
      expect(response.text, label).not.toContain(CANARY);
      expect(cosmosOperations(response).write, label).toBe(0);
    }
    const runs = await test.request<{ items: unknown[] }>('GET', `/municipalities/${M}/roster-imports`, { token: admin });
    expect(runs.body.items).toEqual([]);
    expect(logged.join('\n')).not.toContain(CANARY);
  });

  it('fails the run with the reason (not as a database or storage failure, and having written nothing) when a CSV is found damaged, a bomb or over the field limit while planning', async () => {
    const set = good();
    const longName = set['users.csv'] as string;
    const cases: [string, Uint8Array, RegExp][] = [
      ['damaged deflate data', tamper(zip(set), 'users.csv', { data: (bytes) => void (bytes[0] = 0xff) }), /users\.csv is damaged: its compressed data does not inflate/],
      ['a zip bomb whose size lies', lyingBomb(set, 'users.csv'), /users\.csv inflates to another size than the zip declares \(a zip bomb\?\)/],
      ['a field over 4096 characters', zip({ ...set, 'users.csv': longName.replace('Elev', 'E'.repeat(5000)) }), /users\.csv has a field longer than 4096 characters on line 2/],
      // Read as no rows, a bulk users.csv would make every stored pupil a leaver.
      ['a listed file without a header (empty)', zip({ ...set, 'users.csv': '' }), /users\.csv has no header row/],
      ['a listed file of a BOM and blank lines', zip({ ...set, 'users.csv': '\uFEFF\r\n\r\n' }), /users\.csv has no header row/],
      // Empty fields add nothing to csv-parse's record size, and it counts a record's fields only at its end: commas alone,
      // over lines that quoted line breaks join into one record, grew it without bound.
      ['a record of commas across joined lines', zip({ ...set, 'users.csv': `${longName}${`${','.repeat(200)}"\n"`.repeat(50)}\r\n` }), /users\.csv has a row of more than 1048576 bytes or 256 fields/],
      ['a header of more than 256 columns', zip({ ...set, 'users.csv': `${Array.from({ length: 300 }, (_, index) => `c${index}`).join(',')}\r\n` }), /users\.csv has a row of more than 1048576 bytes or 256 fields/],
      // Only the manifest is read at the start: this one is found while planning, and failed every resume as a storage failure.
      ['a file header past the end', tamper(zip(set), 'users.csv', { localHeaderOffset: 0x7fff0000 }), /the zip is damaged: it points past its own end/],
      ['a file over its row limit', zip({ ...set, 'orgs.csv': csv([['sourcedId', 'name', 'type'], ...Array.from({ length: 10_001 }, (_, index) => [`org-${index}`, `Skole ${index}`, 'school'])]) }), /orgs\.csv has more than 10000 rows/],
      // Windows-1252: ø is the byte 0xF8, which does not decode as UTF-8 and would be stored as U+FFFD.
      ['text that is not UTF-8', zip({ ...set, 'users.csv': Buffer.from(longName.replace('Nordmann', 'Bjørnstad'), 'latin1') }), /users\.csv is not UTF-8 text/],
    ];
    for (const [label, file, reason] of cases) {
      const run = await importRoster(test, admin, M, file);
      expect({ label, status: run.status }).toEqual({ label, status: 'failed' });
      expect(run.failure, label).toMatch(/^The file was refused: /);
      expect(run.failure, label).toMatch(reason);
      expect(run.operations.writes, label).toBe(0);
    }
    const students = await test.request<{ items: unknown[] }>('GET', `/municipalities/${M}/students?limit=10`, { token: admin });
    expect(students.body.items).toEqual([]);
  }, 60_000);
});
