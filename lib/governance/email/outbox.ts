import type { Container } from '@azure/cosmos';
import type { Clock } from '../../clock.js';
import { isCosmosStatus } from '../../data/cosmos-errors.js';
import type { Logger } from '../../logger.js';
import { queryAll, queryBatch } from '../../paging/query-page.js';
import { ConsentMissing, type ConsentSubject } from '../consent/consent-store.js';
import type { ConsentPurpose } from '../consent/purposes.js';
import type { EmailSender } from './email-sender.js';

/** What a mailing sends: the same subject and text to each of its recipients. */
export interface MailingContent {
  id: string;
  subject: string;
  text: string;
  /** Set when the mailing is processing beyond the privacy statement (P9). */
  purpose?: ConsentPurpose;
}

export interface RecipientDirectory {
  findUser(municipalityId: string, userId: string): Promise<{ email: string } | undefined>;
}

export interface ConsentGate {
  requireConsent(subject: ConsentSubject, purpose: ConsentPurpose): Promise<unknown>;
}

type EmailStatus = 'queued' | 'sending' | 'sent' | 'skipped';

interface StoredEmail extends ConsentSubject {
  /** The recipient's user id: one message per user per mailing. */
  id: string;
  /** The mailing id: a mailing's messages are one partition, bounded by the number of users. */
  pk: string;
  type: 'email';
  status: EmailStatus;
  createdAt: string;
  claimedAt?: string;
  sentAt?: string;
  skippedReason?: 'consent-missing' | 'recipient-gone';
  _etag?: string;
}

/** A claim older than this is taken to be from a sender that died; the message is retried. */
export const CLAIM_LEASE_MS = 5 * 60 * 1000;
const DELIVERY_PAGE = 50;

export interface DeliveryResult {
  /** True when every message of the mailing is sent or skipped. */
  finished: boolean;
}

/**
 * The email outbox (P8, P18). A queued message names its recipient by user id only; the
 * address is looked up when the message is sent, so the outbox holds no addresses and a
 * user erased in the meantime gets nothing. Sending claims the message first (a
 * conditional replace), so two runners never send the same message twice, and a claim
 * whose sender died expires after `CLAIM_LEASE_MS`.
 */
export class Outbox {
  constructor(
    private readonly outbox: Container,
    private readonly recipients: RecipientDirectory,
    private readonly consents: ConsentGate,
    private readonly sender: EmailSender,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Idempotent: a recipient already queued for the mailing stays as it is. */
  async enqueue(mailingId: string, recipients: readonly ConsentSubject[]): Promise<void> {
    const createdAt = this.clock.now().toISOString();
    await Promise.all(
      recipients.map(async (recipient) => {
        const message: StoredEmail = { id: recipient.userId, pk: mailingId, type: 'email', ...recipient, status: 'queued', createdAt };
        try {
          await this.outbox.items.create(message);
        } catch (error) {
          if (!isCosmosStatus(error, 409)) throw error;
        }
      }),
    );
  }

  /** Sends every due message of a mailing, page by page; stops at the first failed send. */
  async deliver(mailing: MailingContent): Promise<DeliveryResult> {
    for (;;) {
      const staleClaim = new Date(this.clock.now().getTime() - CLAIM_LEASE_MS).toISOString();
      const page = await queryBatch<StoredEmail>(
        this.outbox,
        {
          where: "c.type = 'email' AND (c.status = 'queued' OR (c.status = 'sending' AND c.claimedAt < @staleClaim))",
          parameters: [{ name: '@staleClaim', value: staleClaim }],
        },
        [['pk', mailing.id]],
        DELIVERY_PAGE,
      );
      if (page.items.length === 0) break;
      for (const message of page.items) {
        if ((await this.deliverOne(mailing, message)) === 'failed') return { finished: false };
      }
    }
    const [claimed] = await queryAll<number>(
      this.outbox,
      { select: 'VALUE COUNT(1)', where: "c.type = 'email' AND c.status = 'sending'" },
      [['pk', mailing.id]],
    );
    return { finished: (claimed ?? 0) === 0 };
  }

  private async deliverOne(mailing: MailingContent, message: StoredEmail): Promise<'done' | 'taken' | 'failed'> {
    const claimed = await this.claim(message);
    if (!claimed) return 'taken';
    const recipient = { municipalityId: message.municipalityId, userId: message.userId };
    try {
      if (mailing.purpose) {
        try {
          await this.consents.requireConsent(recipient, mailing.purpose);
        } catch (error) {
          if (!(error instanceof ConsentMissing)) throw error;
          await this.settle(claimed, { status: 'skipped', skippedReason: 'consent-missing' });
          return 'done';
        }
      }
      const user = await this.recipients.findUser(recipient.municipalityId, recipient.userId);
      if (!user) {
        await this.settle(claimed, { status: 'skipped', skippedReason: 'recipient-gone' });
        return 'done';
      }
      await this.sender.send({ id: `${mailing.id}/${message.userId}`, to: user.email, subject: mailing.subject, text: mailing.text });
    } catch (error) {
      // The claim stays: the message is retried once the lease has expired.
      this.logger.error('email-send-failed', { mailingId: mailing.id, error: error instanceof Error ? error.name : typeof error });
      return 'failed';
    }
    await this.settle(claimed, { status: 'sent', sentAt: this.clock.now().toISOString() });
    return 'done';
  }

  private async claim(message: StoredEmail): Promise<StoredEmail | undefined> {
    const claimed = { ...fieldsOf(message), status: 'sending' as const, claimedAt: this.clock.now().toISOString() };
    try {
      await this.outbox.item(message.id, message.pk).replace(claimed, {
        accessCondition: { type: 'IfMatch', condition: message._etag ?? '' },
      });
      return claimed;
    } catch (error) {
      if (isCosmosStatus(error, 412) || isCosmosStatus(error, 404)) return undefined;
      throw error;
    }
  }

  private async settle(claimed: StoredEmail, outcome: Pick<StoredEmail, 'status' | 'sentAt' | 'skippedReason'>): Promise<void> {
    const { claimedAt: _claimedAt, ...rest } = claimed;
    await this.outbox.item(claimed.id, claimed.pk).replace({ ...rest, ...outcome });
  }
}

/** The document without Cosmos DB's system properties. */
function fieldsOf(message: StoredEmail): StoredEmail {
  return {
    id: message.id,
    pk: message.pk,
    type: message.type,
    municipalityId: message.municipalityId,
    userId: message.userId,
    status: message.status,
    createdAt: message.createdAt,
  };
}
