import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { TokenCredential } from '@azure/identity';
import type { AppConfig } from '../config/config.js';
import { BLOB_CONTAINERS } from './blob-containers.js';

export function createBlobService(config: AppConfig, credential: () => TokenCredential, endpoint = config.blob.endpoint): BlobServiceClient {
  if (config.mode === 'local') {
    // Local upload accounts are Azurite instances too, with the same development account and key.
    return new BlobServiceClient(endpoint, new StorageSharedKeyCredential(config.blob.accountName ?? '', config.blob.accountKey ?? ''));
  }
  return new BlobServiceClient(endpoint, credential());
}

/** The upload account's client: the main one when both are the same account (local mode by default). */
export function createUploadBlobService(config: AppConfig, credential: () => TokenCredential, main: BlobServiceClient): BlobServiceClient {
  return config.blob.rosterUploadEndpoint === config.blob.endpoint ? main : createBlobService(config, credential, config.blob.rosterUploadEndpoint);
}

/** Local mode only: in Azure the containers are deployed by infra/. */
export async function ensureBlobContainers(service: BlobServiceClient, names: readonly string[] = BLOB_CONTAINERS): Promise<void> {
  await Promise.all(names.map((name) => service.getContainerClient(name).createIfNotExists()));
}
