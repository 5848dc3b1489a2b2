import { createHash } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import type { EmailClient } from '@azure/communication-email';
import type { EmailSender, OutgoingEmail } from './email-sender.js';

export interface AcsEmailSettings {
  /** https://<resource>.<geo>.communication.azure.com; the resource's data location must be in the EU/EEA (P15). */
  endpoint: string;
  /** A sender address on a domain verified in the Email Communication Service. */
  senderAddress: string;
}

/**
 * Azure Communication Services Email with the app's managed identity. The SDK is imported
 * on the first send, so the Functions entry does not pay for it at cold start.
 */
export class AcsEmailSender implements EmailSender {
  private client: Promise<EmailClient> | undefined;

  constructor(
    private readonly settings: AcsEmailSettings,
    private readonly credential: () => TokenCredential,
  ) {}

  async send(email: OutgoingEmail): Promise<void> {
    const client = await this.emailClient();
    const poller = await client.beginSend(
      {
        senderAddress: this.settings.senderAddress,
        recipients: { to: [{ address: email.to }] },
        content: { subject: email.subject, plainText: email.text },
        // Policy and service notices are not marketing: no open or click tracking.
        disableUserEngagementTracking: true,
      },
      // The operation id makes a retried send of the same message idempotent at ACS.
      { operationId: operationIdOf(email.id) },
    );
    // beginSend resolves once ACS has accepted the message; waiting for the final delivery
    // state would cost seconds of polling per recipient, and ACS reports delivery itself.
    if (poller.getOperationState().status === 'failed') throw new Error('Azure Communication Services refused the email');
  }

  private emailClient(): Promise<EmailClient> {
    this.client ??= import('@azure/communication-email').then(
      ({ EmailClient: Client }) => new Client(this.settings.endpoint, this.credential()),
    );
    return this.client;
  }
}

/** ACS wants a UUID; derive one from the message id so every retry reuses it. */
function operationIdOf(messageId: string): string {
  const hex = createHash('sha256').update(messageId).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
