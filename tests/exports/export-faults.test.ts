import { BlobServiceClient, newPipeline, StorageSharedKeyCredential, type RequestPolicy, type RequestPolicyFactory } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffPrincipal } from '../../lib/access/scopes.js';
import { ExportService } from '../../lib/exports/export-service.js';
import { createLogger } from '../../lib/logger.js';
import { ContinuationSealer } from '../../lib/paging/continuation-sealer.js';
import { DEV_ISSUER } from '../../local/dev-issuer.js';
import { buildSchoolWorld, type SchoolWorld } from '../support/school-world.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let test: TestApp;
let world: SchoolWorld;

/** Azurite through the real SDK, with a 503 injected on purpose into every upload. */
function blobsFailingUploads(): { client: BlobServiceClient; injected: { count: number } } {
  const { endpoint, accountName, accountKey } = test.app.config.blob;
  const pipeline = newPipeline(new StorageSharedKeyCredential(accountName ?? '', accountKey ?? ''));
  const injected = { count: 0 };
  const fault: RequestPolicyFactory = {
    create: (next: RequestPolicy): RequestPolicy => ({
      sendRequest: async (request) => {
        if (request.method === 'PUT') {
          injected.count += 1;
          throw Object.assign(new Error('injected: server busy'), { statusCode: 503 });
        }
        return next.sendRequest(request);
      },
    }),
  };
  pipeline.factories.unshift(fault);
  return { client: new BlobServiceClient(endpoint, pipeline), injected };
}

beforeAll(async () => {
  test = await startTestApp();
  // Municipalities of their own: the emulators' blob container `exports` is shared by every test file.
  world = await buildSchoolWorld(test, '3903', '3904');
}, 120_000);
afterAll(() => test.close());

describe('exports under faults', () => {
  it('fault injection: Blob Storage answers 503 on upload; the request fails as 503, the export is marked failed and no file exists', async () => {
    const services = test.app.services;
    const { client, injected } = blobsFailingUploads();
    const exports = new ExportService({
      exports: services.cosmos.containers.exports,
      blobs: client.getContainerClient('exports'),
      privacy: services.privacy,
      students: services.students,
      users: services.users,
      disclosures: services.disclosures,
      continuations: ContinuationSealer.fromSecret(services.config.privacyDigestKey),
      clock: services.clock,
      logger: createLogger(() => undefined),
    });
    const dataAdmin: StaffPrincipal = {
      kind: 'staff',
      identity: { issuer: DEV_ISSUER, subject: world.actors.dataAdmin.subject },
      userId: world.actors.dataAdmin.id,
      municipalityId: world.home,
      roles: ['data-admin'],
      schoolIds: [],
      memberships: [world.home],
    };
    await expect(exports.request(dataAdmin, { subjectType: 'student', subjectId: world.students.inGroup, format: 'json', recipient: 'controller' }))
      .rejects.toMatchObject({ status: 503, slug: 'unavailable' });
    expect(injected.count).toBe(1);

    const list = await test.request('GET', `/municipalities/${world.home}/exports`, { token: world.actors.dataAdmin.token });
    const [failed] = list.body.items;
    expect(failed).toMatchObject({ status: 'failed', download: null, sizeBytes: null });
    const download = await test.request('GET', `/municipalities/${world.home}/exports/${failed.id}/download`, { token: world.actors.dataAdmin.token });
    expect(download.status).toBe(409);
    const files: string[] = [];
    for await (const blob of services.blob.getContainerClient('exports').listBlobsFlat({ prefix: `${world.home}/` })) files.push(blob.name);
    expect(files.filter((name) => name.includes(failed.id))).toEqual([]);
    // Its expiry entry stays, so the export-expiry job still tidies up after it.
    const { resource } = await services.cosmos.containers.exports.item(failed.id, '_expiry').read();
    expect(resource?.type).toBe('export-due');
  });
});
