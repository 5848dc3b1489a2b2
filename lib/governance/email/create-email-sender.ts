import type { TokenCredential } from '@azure/identity';
import type { BlobServiceClient } from '@azure/storage-blob';
import { z } from 'zod';
import { ConfigError, type AppConfig } from '../../config/config.js';
import { AcsEmailSender } from './acs-email-sender.js';
import { BlobEmailSink } from './blob-email-sink.js';
import { EmailNotConfigured, type EmailSender } from './email-sender.js';

const emailEnvironmentSchema = z
  .object({
    EMAIL_ENDPOINT: z.url({ protocol: /^https$/ }).optional(),
    EMAIL_SENDER_ADDRESS: z.email().optional(),
  })
  .refine((env) => (env.EMAIL_ENDPOINT === undefined) === (env.EMAIL_SENDER_ADDRESS === undefined), {
    message: 'EMAIL_ENDPOINT and EMAIL_SENDER_ADDRESS are set together or not at all',
  });

/**
 * Local mode writes email to a blob sink. Azure mode sends through Azure Communication
 * Services when configured; without configuration every send fails loudly and the outbox
 * keeps the messages queued, so nothing is lost while the resource is being set up. A
 * half or malformed configuration fails the start-up.
 */
export function createEmailSender(
  mode: AppConfig['mode'],
  blob: BlobServiceClient,
  credential: () => TokenCredential,
  env: Record<string, string | undefined> = process.env,
): EmailSender {
  if (mode === 'local') return new BlobEmailSink(blob);
  const parsed = emailEnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'EMAIL_*'}: ${issue.message}`));
  }
  const { EMAIL_ENDPOINT: endpoint, EMAIL_SENDER_ADDRESS: senderAddress } = parsed.data;
  if (endpoint === undefined || senderAddress === undefined) {
    return { send: () => Promise.reject(new EmailNotConfigured()) };
  }
  return new AcsEmailSender({ endpoint, senderAddress }, credential);
}
