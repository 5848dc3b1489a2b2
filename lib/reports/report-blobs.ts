import type { ContainerClient, RestError } from '@azure/storage-blob';
import { dayFolderOf, municipalityPrefixOf } from './leaver-report-model.js';

/** Blob deletes in flight at once: each is its own HTTP request. */
const DELETE_CONCURRENCY = 16;

export interface StoredBlob {
  name: string;
  /** The report version the blob belongs to (the name without folder and extension). */
  version: string;
  /** The run that wrote it (metadata), to leave a run that is still writing alone. */
  runId: string | undefined;
}

const isStatus = (error: unknown, status: number) => (error as Partial<RestError> | null)?.statusCode === status;

/**
 * The report documents in Blob Storage (`leaver-reports`), named
 * `{municipalityId}/{creation day}/{version}.{pdf|json}`. Blob metadata holds ids only.
 */
export class ReportBlobs {
  constructor(readonly container: ContainerClient) {}

  async upload(name: string, content: Uint8Array, contentType: string, metadata: { runid: string }): Promise<void> {
    await this.container.getBlockBlobClient(name).uploadData(content, { blobHTTPHeaders: { blobContentType: contentType }, metadata });
  }

  /** The document, or undefined when the blob is missing. */
  async download(name: string): Promise<Buffer | undefined> {
    try {
      return await this.container.getBlobClient(name).downloadToBuffer();
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async exists(name: string): Promise<boolean> {
    return this.container.getBlobClient(name).exists();
  }

  /** Deletes every named blob; an absent one counts as deleted. Returns how many were there. */
  async deleteAll(names: readonly string[]): Promise<number> {
    let deleted = 0;
    for (let start = 0; start < names.length; start += DELETE_CONCURRENCY) {
      const results = await Promise.all(names.slice(start, start + DELETE_CONCURRENCY).map((name) => this.delete(name)));
      deleted += results.filter(Boolean).length;
    }
    return deleted;
  }

  private async delete(name: string): Promise<boolean> {
    try {
      await this.container.getBlobClient(name).delete({ deleteSnapshots: 'include' });
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return false;
      throw error;
    }
  }

  /**
   * The creation days that hold blobs of a municipality, oldest first, up to and including
   * `lastDay`: the listing returns day folders in order and stops at the first later one,
   * so the work follows the due days, not every day stored.
   */
  async daysUpTo(municipalityId: string, lastDay: string): Promise<string[]> {
    const prefix = municipalityPrefixOf(municipalityId);
    const days: string[] = [];
    for await (const page of this.container.listBlobsByHierarchy('/', { prefix }).byPage({ maxPageSize: 400 })) {
      for (const folder of page.segment.blobPrefixes ?? []) {
        const day = folder.name.slice(prefix.length, -1);
        if (day > lastDay) return days;
        days.push(day);
      }
    }
    return days;
  }

  async onDay(municipalityId: string, day: string): Promise<StoredBlob[]> {
    const prefix = dayFolderOf(municipalityId, day);
    const blobs: StoredBlob[] = [];
    for await (const blob of this.container.listBlobsFlat({ prefix, includeMetadata: true })) {
      const file = blob.name.slice(prefix.length);
      blobs.push({ name: blob.name, version: file.replace(/\.[a-z]+$/, ''), runId: blob.metadata?.runid });
    }
    return blobs;
  }
}
