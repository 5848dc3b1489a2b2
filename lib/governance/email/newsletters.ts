import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { BackgroundWork } from '../background-work.js';
import type { Mailings } from './mailings.js';
import { freeText } from '../../http/text-input.js';

export const newsletterInputSchema = z.strictObject({
  subject: freeText({ max: 200 }),
  text: freeText({ max: 50_000, multiline: true }),
});

export const newsletterReceiptSchema = z.object({
  id: z.string(),
  status: z.literal('queued'),
  /** The consent every recipient has given, checked again right before each send. */
  purpose: z.literal('newsletter'),
});

/**
 * The newsletter: processing beyond the privacy statement, so only for users who
 * granted the `newsletter` purpose (P9). Recipients come from that purpose's consent
 * index, and the outbox checks each one's consent again when sending, so a withdrawal
 * stops every send that has not happened yet.
 */
export class Newsletters {
  constructor(
    private readonly mailings: Mailings,
    private readonly background: BackgroundWork,
  ) {}

  async send(input: z.infer<typeof newsletterInputSchema>): Promise<z.infer<typeof newsletterReceiptSchema>> {
    const id = randomUUID();
    await this.mailings.create({ id, kind: 'newsletter', ...input, audience: { kind: 'consented', purpose: 'newsletter' } });
    this.background.start('mailings', () => this.mailings.runPending());
    return { id, status: 'queued', purpose: 'newsletter' };
  }
}
