import { randomUUID } from 'node:crypto';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { Clock } from '../clock.js';
import type { RosterUpload } from './roster-import-model.js';
import { ROSTER_LIMITS } from './roster-limits.js';

export const ROSTER_UPLOADS_CONTAINER = 'roster-uploads';

export function rosterBlobs(blob: BlobServiceClient): ContainerClient {
  return blob.getContainerClient(ROSTER_UPLOADS_CONTAINER);
}

/**
 * Upload URLs for roster zips: a SAS for one new blob under the municipality's prefix, allowed
 * to create it only (`c`, not `w`): one PUT writes the blob, and the URL can never replace it
 * once written, so the file an import checked stays the file it reads (each run also pins its
 * reads to the ETag it saw at its start). Valid for minutes. A SAS cannot cap the size of a
 * PUT: the import refuses a larger blob as soon as it sees it (roster-archive.ts). In Azure it is a user-delegation SAS (signed
 * with a key the managed identity obtains, no account key anywhere); locally, Azurite's
 * development account signs it with its key, because Azurite does not hand out user
 * delegation keys to a client that authenticates with the account key.
 */
export class RosterUploads {
  constructor(
    private readonly blob: BlobServiceClient,
    private readonly clock: Clock,
  ) {}

  async issue(municipalityId: string): Promise<RosterUpload> {
    const blobName = `${municipalityId}/uploads/${randomUUID()}.zip`;
    const now = this.clock.now();
    const startsOn = new Date(now.getTime() - 60_000);
    const expiresOn = new Date(now.getTime() + ROSTER_LIMITS.uploadUrlMinutes * 60_000);
    // Loaded on first use, so that importing the Functions entry loads no SDK (tests/ops/lazy-entry.test.ts).
    const { BlobSASPermissions, generateBlobSASQueryParameters, SASProtocol, StorageSharedKeyCredential } = await import('@azure/storage-blob');
    const client = rosterBlobs(this.blob).getBlockBlobClient(blobName);
    const permissions = BlobSASPermissions.parse('c');
    const credential = this.blob.credential;
    let uploadUrl: string;
    if (credential instanceof StorageSharedKeyCredential) {
      uploadUrl = await client.generateSasUrl({ permissions, startsOn, expiresOn });
    } else {
      const key = await this.blob.getUserDelegationKey(startsOn, expiresOn);
      const sas = generateBlobSASQueryParameters(
        { containerName: ROSTER_UPLOADS_CONTAINER, blobName, permissions, startsOn, expiresOn, protocol: SASProtocol.Https },
        key,
        this.blob.accountName,
      );
      uploadUrl = `${client.url}?${sas.toString()}`;
    }
    return { blob: blobName, uploadUrl, expiresAt: expiresOn.toISOString(), maxBytes: ROSTER_LIMITS.maxUploadBytes };
  }
}
