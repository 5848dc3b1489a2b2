import type { ActivityHandler } from 'durable-functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDriverRuntime } from '../../lib/jobs/local-jobs.js';
import { RosterArchive } from '../../lib/roster-import/roster-archive.js';
import { readColumns } from '../../lib/roster-import/roster-files.js';
import { ROSTER_LIMITS } from '../../lib/roster-import/roster-limits.js';
import { RosterArchiveRefused } from '../../lib/roster-import/roster-refusal.js';
import { rosterBlobs } from '../../lib/roster-import/roster-uploads.js';
import { bootstrapAdminToken, cosmosOperations, registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { follow, rosterFiles, upload, zip, type Person } from './oneroster-fixture.js';

const M = '1507';

function rosterOf(givenNames: string[]): Uint8Array {
  const people: Person[] = givenNames.map((givenName, index) => ({ sourcedId: `s-${index}`, givenName, familyName: 'Molde', role: 'student', school: 'sch-1', grade: '06', birthDate: '2015-06-06' }));
  return zip(rosterFiles({ municipalityId: M, schools: [{ sourcedId: 'sch-1', name: 'Molde skole', organisationNumber: '974800001' }], people, classes: [], enrollments: [] }));
}

/** Fault injection: the plan step waits while `hold` is set (so the test can replace the upload between start and plan). */
const faults = { hold: undefined as Promise<void> | undefined };
const wrapActivity = (name: string, handler: ActivityHandler): ActivityHandler => async (input, context) => {
  if (name === 'roster-import-plan' && faults.hold) await faults.hold;
  return handler(input, context);
};

describe('roster uploads: the URL creates one blob, and a run reads one version of it (fault injected: the plan step held)', () => {
  let test: TestApp;
  let admin: string;
  const uploads = () => rosterBlobs(test.app.services.blob);

  beforeAll(async () => {
    test = await startTestApp({ composition: { jobRuntime: localDriverRuntime({ wrapActivity }) } });
    await registerMunicipality(test, M);
    admin = await bootstrapAdminToken(test, M);
  }, 60_000);

  afterAll(async () => {
    await test?.close();
  });

  it('grants create only: the issued URL writes the zip once and cannot overwrite it', async () => {
    const issued = await test.request<{ blob: string; uploadUrl: string }>('POST', `/municipalities/${M}/roster-uploads`, { token: admin });
    expect(issued.status).toBe(201);
    expect(new URL(issued.body.uploadUrl).searchParams.get('sp')).toBe('c');
    const put = (content: Uint8Array) => fetch(issued.body.uploadUrl, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/zip' }, body: Buffer.from(content) });
    const first = rosterOf(['Ada']);
    expect((await put(first)).status).toBe(201);
    expect((await put(rosterOf(['Eve']))).status).toBe(403);
    expect(Buffer.compare(await uploads().getBlockBlobClient(issued.body.blob).downloadToBuffer(), Buffer.from(first))).toBe(0);
  });

  it('refuses at the start (413, nothing read or written) an upload over the size limit, from its size alone', async () => {
    const blob = `${M}/uploads/${crypto.randomUUID()}.zip`;
    // One MiB staged once and listed 101 times: a blob over 100 MiB without sending 100 MiB.
    const client = uploads().getBlockBlobClient(blob);
    const block = Buffer.from('block-0').toString('base64');
    await client.stageBlock(block, Buffer.alloc(1024 * 1024), 1024 * 1024);
    await client.commitBlockList(Array.from({ length: ROSTER_LIMITS.maxUploadBytes / (1024 * 1024) + 1 }, () => block));
    expect((await client.getProperties()).contentLength).toBeGreaterThan(ROSTER_LIMITS.maxUploadBytes);
    const response = await test.request('POST', `/municipalities/${M}/roster-imports`, { token: admin, body: { blob, mode: 'bulk' } });
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ type: 'urn:engage:problem:payload-too-large', detail: 'A roster zip may be at most 100 MiB' });
    expect(cosmosOperations(response).write).toBe(0);
  });

  it('ends the run expired (writing nothing, resume answers 410) when the upload is replaced between the start and the plan, instead of importing the other file', async () => {
    let release = () => {};
    faults.hold = new Promise((resolve) => (release = resolve));
    const blob = await upload(test, admin, M, rosterOf(['Ada']));
    const started = await test.request('POST', `/municipalities/${M}/roster-imports`, { token: admin, body: { blob, mode: 'bulk' } });
    expect(started.status).toBe(202);
    // Only the storage account can do this (the upload URL cannot): the file checked at the start is gone.
    const replacement = rosterOf(['Eve']);
    await uploads().getBlockBlobClient(blob).upload(replacement, replacement.length);
    release();
    faults.hold = undefined;
    const run = await follow(test, admin, started.headers.get('location') ?? '');
    expect(run.status).toBe('expired');
    expect(run.failure).toMatch(/^The uploaded file was replaced after the import started/);
    expect(run.operations.writes).toBe(0);
    expect((await test.request('POST', `/municipalities/${M}/roster-imports/${run.id}/resume`, { token: admin })).status).toBe(410);
    const students = await test.request<{ items: unknown[] }>('GET', `/municipalities/${M}/students?limit=10`, { token: admin });
    expect(students.body.items).toEqual([]);
  });

  it('refuses a zip whose blob is replaced while it is read, rather than mixing two files', async () => {
    const blob = await upload(test, admin, M, rosterOf(['Ada']));
    const client = uploads().getBlobClient(blob);
    const { archive } = await RosterArchive.openUpload(client);
    try {
      const replacement = rosterOf(['Eve']);
      await uploads().getBlockBlobClient(blob).upload(replacement, replacement.length);
      const reading = (async () => {
        for await (const _row of archive.rows('users.csv', (header) => readColumns('users', header)));
      })();
      await expect(reading).rejects.toSatisfy((error) => error instanceof RosterArchiveRefused && error.kind === 'changed');
    } finally {
      archive.close();
    }
  });
});
