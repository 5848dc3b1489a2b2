/** One email, addressed at the moment of sending (the outbox itself holds no addresses). */
export interface OutgoingEmail {
  /** Stable per recipient and mailing: a retried send reuses it, so a sender can deduplicate. */
  id: string;
  to: string;
  subject: string;
  text: string;
}

/** Delivers email: Azure Communication Services in Azure, a blob sink locally. */
export interface EmailSender {
  send(email: OutgoingEmail): Promise<void>;
}

export class EmailNotConfigured extends Error {
  constructor() {
    super('Email is not configured: set EMAIL_ENDPOINT and EMAIL_SENDER_ADDRESS. Messages stay queued until then.');
    this.name = 'EmailNotConfigured';
  }
}
