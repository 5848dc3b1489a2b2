import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config/config.js';
import { AcsEmailSender } from '../../lib/governance/email/acs-email-sender.js';
import { BlobEmailSink } from '../../lib/governance/email/blob-email-sink.js';
import { createEmailSender } from '../../lib/governance/email/create-email-sender.js';
import { EmailNotConfigured } from '../../lib/governance/email/email-sender.js';

const blob = new BlobServiceClient('https://blob.example.test');
const credential = () => {
  throw new Error('no credential in this test');
};
const email = { id: 'm/u', to: 'someone@example.test', subject: 's', text: 't' };

describe('choosing the email sender', () => {
  it('local mode writes to the blob sink', () => {
    expect(createEmailSender('local', blob, credential, {})).toBeInstanceOf(BlobEmailSink);
  });

  it('Azure mode with Communication Services settings sends through ACS (SDK loaded on first send)', () => {
    const sender = createEmailSender('azure', blob, credential, {
      EMAIL_ENDPOINT: 'https://engage.europe.communication.azure.com',
      EMAIL_SENDER_ADDRESS: 'donotreply@engage.example.test',
    });
    expect(sender).toBeInstanceOf(AcsEmailSender);
  });

  it('Azure mode without settings keeps mail queued: every send fails loudly', async () => {
    await expect(createEmailSender('azure', blob, credential, {}).send(email)).rejects.toBeInstanceOf(EmailNotConfigured);
  });

  it('a half or malformed configuration fails the start-up', () => {
    expect(() => createEmailSender('azure', blob, credential, { EMAIL_ENDPOINT: 'https://engage.communication.azure.com' })).toThrow(ConfigError);
    expect(() =>
      createEmailSender('azure', blob, credential, { EMAIL_ENDPOINT: 'http://insecure.example.test', EMAIL_SENDER_ADDRESS: 'a@example.test' }),
    ).toThrow(/EMAIL_ENDPOINT/);
  });
});
