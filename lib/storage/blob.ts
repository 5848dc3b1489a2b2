import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { TokenCredential } from '@azure/identity';
import type { AppConfig } from '../config/config.js';
import { BLOB_CONTAINERS } from './blob-containers.js';

export function createBlobService(config: AppConfig, credential: () => TokenCredential): BlobServiceClient {
  if (config.mode === 'local') {
    return new BlobServiceClient(
      config.blob.endpoint,
      new StorageSharedKeyCredential(config.blob.accountName ?? '', config.blob.accountKey ?? ''),
    );
  }
  return new BlobServiceClient(config.blob.endpoint, credential());
}

/** Local mode only: in Azure the containers are deployed by infra/. */
export async function ensureBlobContainers(service: BlobServiceClient): Promise<void> {
  await Promise.all(BLOB_CONTAINERS.map((name) => service.getContainerClient(name).createIfNotExists()));
}
