import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';

export const EXPORTS_BLOB_CONTAINER = 'exports';

export function exportBlobs(blob: BlobServiceClient): ContainerClient {
  return blob.getContainerClient(EXPORTS_BLOB_CONTAINER);
}
