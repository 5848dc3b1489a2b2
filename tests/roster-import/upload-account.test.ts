/**
 * Uploads land in an account of their own (infra/app/upload-storage.bicep: public for browsers
 * while the main account is private). Here that account is a second Azurite: the upload URL
 * must point at it, the import must read the zip from it and delete it there when it finishes,
 * and nothing of the upload may appear in the main account. The planned batches stay in the
 * main account.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZURITE_ACCOUNT, AZURITE_KEY, freePort, startAzurite, type ChildService } from '../../local/stack.js';
import { ROSTER_UPLOADS_CONTAINER } from '../../lib/roster-import/roster-uploads.js';
import { bootstrapAdminToken, registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { follow, rosterFiles, upload, zip } from './oneroster-fixture.js';

const M = '5011';

/** Azurite's development account, which every local Azurite serves. */
const DEV_ACCOUNT = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);

async function blobNames(endpoint: string): Promise<string[]> {
  const names: string[] = [];
  const container = new BlobServiceClient(endpoint, DEV_ACCOUNT).getContainerClient(ROSTER_UPLOADS_CONTAINER);
  if (!(await container.exists())) return names;
  for await (const blob of container.listBlobsFlat({ prefix: `${M}/` })) names.push(blob.name);
  return names;
}

describe('roster uploads in an account of their own', () => {
  let uploads: ChildService;
  let directory: string;
  let test: TestApp;
  let admin: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'engage-upload-account-'));
    uploads = await startAzurite(await freePort(), directory, true);
    test = await startTestApp({ env: { ROSTER_UPLOAD_BLOB_ENDPOINT: uploads.endpoint } });
    await registerMunicipality(test, M);
    admin = await bootstrapAdminToken(test, M);
  }, 60_000);

  afterAll(async () => {
    await test?.close();
    await uploads?.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it('hands out URLs on the upload account, imports from it, deletes the upload there and never copies it to the main account', async () => {
    const set = {
      municipalityId: M,
      schools: [{ sourcedId: 'sch-1', name: 'Lademoen skole', organisationNumber: '974500011' }],
      people: [{ sourcedId: 's-1', givenName: 'Ada', familyName: 'Opplasting', role: 'student' as const, school: 'sch-1', grade: '05', birthDate: '2016-02-02' }],
      classes: [],
      enrollments: [],
    };
    const issued = await test.request<{ uploadUrl: string }>('POST', `/municipalities/${M}/roster-uploads`, { token: admin });
    expect(issued.status).toBe(201);
    expect(issued.body.uploadUrl.startsWith(uploads.endpoint)).toBe(true);

    const blob = await upload(test, admin, M, zip(rosterFiles(set)));
    expect(await blobNames(uploads.endpoint)).toContain(blob);
    const mainEndpoint = test.app.config.blob.endpoint;
    expect(await blobNames(mainEndpoint)).not.toContain(blob);

    const started = await test.request('POST', `/municipalities/${M}/roster-imports`, { token: admin, body: { blob, mode: 'bulk', dryRun: false } });
    expect(started.status, started.text).toBe(202);
    const run = await follow(test, admin, started.headers.get('location') ?? '');
    expect(run.status, run.failure ?? '').toBe('completed');
    expect(run.files['users.csv']?.created).toBe(1);

    expect(await blobNames(uploads.endpoint), 'the finished import deletes its upload').toEqual([]);
    expect(await blobNames(mainEndpoint), 'no copy of the upload, and the batches are cleaned up').toEqual([]);
  });
});
