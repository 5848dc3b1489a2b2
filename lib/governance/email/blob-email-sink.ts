import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { EmailSender, OutgoingEmail } from './email-sender.js';

/** Blob container of the local sink; it exists in local mode only, never in Azure. */
export const LOCAL_EMAIL_SINK_CONTAINER = 'local-email-sink';

/**
 * Local mode's "mail server": each message becomes one JSON blob named after its id (`<mailing>/<user>.json`), so
 * a developer (Azure Storage Explorer on Azurite) or a test can read exactly what would
 * have been sent. Writing the same id twice overwrites: a retried send stays one message.
 */
export class BlobEmailSink implements EmailSender {
  private ready: Promise<ContainerClient> | undefined;

  constructor(private readonly blob: BlobServiceClient) {}

  async send(email: OutgoingEmail): Promise<void> {
    const container = await this.container();
    const body = JSON.stringify(email);
    await container.getBlockBlobClient(`${email.id}.json`).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8' },
    });
  }

  private container(): Promise<ContainerClient> {
    this.ready ??= (async () => {
      const container = this.blob.getContainerClient(LOCAL_EMAIL_SINK_CONTAINER);
      await container.createIfNotExists();
      return container;
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }
}
