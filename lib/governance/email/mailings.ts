import type { Container } from '@azure/cosmos';
import type { Clock } from '../../clock.js';
import { isCosmosStatus } from '../../data/cosmos-errors.js';
import { readTyped, type Versioned } from '../../data/documents.js';
import { HttpProblem } from '../../http/problem.js';
import type { Logger } from '../../logger.js';
import type { Page } from '../../paging/continuation.js';
import { queryAll, type PageRequest } from '../../paging/query-page.js';
import { ConsentMissing, type ConsentSubject } from '../consent/consent-store.js';
import type { ConsentPurpose } from '../consent/purposes.js';
import type { Outbox } from './outbox.js';

/** Every registered staff user, or those who granted a purpose (P9). */
export type Audience = { kind: 'all-users' } | { kind: 'consented'; purpose: ConsentPurpose };

export interface MailingDefinition {
  id: string;
  kind: 'policy-notice' | 'newsletter';
  subject: string;
  text: string;
  audience: Audience;
}

type MailingStatus = 'queuing' | 'delivering' | 'done';

interface Cursor {
  /** All-users audience: the last municipality whose users are all queued. */
  afterMunicipalityId: string | null;
  /** Continuation of the page being queued (a municipality's users, or the consent index). */
  token: string | null;
}

interface StoredMailing extends MailingDefinition {
  pk: typeof MAILINGS_PARTITION;
  type: 'mailing';
  status: MailingStatus;
  cursor: Cursor;
  createdAt: string;
  updatedAt: string;
}

/** Where a mailing finds its recipients: single-partition pages only. */
export interface AudienceDirectory {
  municipalityIds(page: PageRequest): Promise<Page<{ id: string }>>;
  userIds(municipalityId: string, page: PageRequest): Promise<Page<{ id: string }>>;
  candidates(purpose: ConsentPurpose, page: PageRequest): Promise<Page<ConsentSubject>>;
  requireConsent(subject: ConsentSubject, purpose: ConsentPurpose): Promise<unknown>;
}

export const MAILINGS_PARTITION = 'mailings';
const QUEUE_PAGE = 100;

/**
 * Mailings: one email to many users, fanned out in the background (never on a request
 * path). A mailing first queues one outbox message per recipient, page by page, saving a
 * cursor after each page, then delivers the outbox. Every step is idempotent and resumes
 * from the saved state, so the scheduled job finishes whatever a stopped host left; the
 * mailing documents live in one `platform` partition (a handful per year).
 */
export class Mailings {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly platform: Container,
    private readonly outbox: Outbox,
    private readonly audiences: AudienceDirectory,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Records a mailing; false if one with this id exists already (nothing changes then). */
  async create(definition: MailingDefinition): Promise<boolean> {
    const now = this.clock.now().toISOString();
    const mailing: StoredMailing = {
      ...definition,
      pk: MAILINGS_PARTITION,
      type: 'mailing',
      status: 'queuing',
      cursor: { afterMunicipalityId: null, token: null },
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.platform.items.create(mailing);
      return true;
    } catch (error) {
      if (isCosmosStatus(error, 409)) return false;
      throw error;
    }
  }

  /** Advances every unfinished mailing; runs of one process queue up behind each other. */
  runPending(): Promise<void> {
    const run = this.chain.then(() => this.advanceAll());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async advanceAll(): Promise<void> {
    const pending = await queryAll<StoredMailing>(
      this.platform,
      { where: "c.type = 'mailing' AND c.status != 'done'", orderBy: 'c.createdAt' },
      [['pk', MAILINGS_PARTITION]],
    );
    for (const mailing of pending) {
      try {
        await this.advance(mailing.id);
      } catch (error) {
        this.logger.error('mailing-failed', { mailingId: mailing.id, error: error instanceof Error ? error.name : typeof error });
      }
    }
  }

  private async advance(id: string): Promise<void> {
    let current = await this.read(id);
    let municipalityIds: Promise<string[]> | undefined;
    const sortedMunicipalityIds = () => (municipalityIds ??= this.sortedMunicipalityIds());
    while (current?.value.status === 'queuing') {
      const next = await this.queueStep(current.value, sortedMunicipalityIds);
      current = await this.save(current, next);
    }
    if (current?.value.status !== 'delivering') return;
    const { id: mailingId, subject, text, audience } = current.value;
    const result = await this.outbox.deliver({
      id: mailingId,
      subject,
      text,
      ...(audience.kind === 'consented' ? { purpose: audience.purpose } : {}),
    });
    if (result.finished) await this.save(current, { ...current.value, status: 'done' });
  }

  /** Queues one page of recipients and returns the mailing with its cursor moved on. */
  private async queueStep(mailing: StoredMailing, municipalityIds: () => Promise<string[]>): Promise<StoredMailing> {
    try {
      return mailing.audience.kind === 'consented'
        ? await this.queueConsented(mailing, mailing.audience.purpose)
        : await this.queueAllUsers(mailing, await municipalityIds());
    } catch (error) {
      // A saved continuation that no longer works: queue that page again (queuing is idempotent).
      if (error instanceof HttpProblem && error.slug === 'invalid-continuation-token') {
        return { ...mailing, cursor: { ...mailing.cursor, token: null } };
      }
      throw error;
    }
  }

  private async queueConsented(mailing: StoredMailing, purpose: ConsentPurpose): Promise<StoredMailing> {
    const page = await this.audiences.candidates(purpose, { limit: QUEUE_PAGE, continuationToken: mailing.cursor.token ?? undefined });
    const granted = await Promise.all(
      page.items.map(async (subject) => {
        try {
          await this.audiences.requireConsent(subject, purpose);
          return subject;
        } catch (error) {
          if (error instanceof ConsentMissing) return undefined;
          throw error;
        }
      }),
    );
    await this.outbox.enqueue(mailing.id, granted.filter((subject): subject is ConsentSubject => subject !== undefined));
    if (page.continuationToken) return { ...mailing, cursor: { afterMunicipalityId: null, token: page.continuationToken } };
    return { ...mailing, status: 'delivering', cursor: { afterMunicipalityId: null, token: null } };
  }

  private async queueAllUsers(mailing: StoredMailing, municipalityIds: string[]): Promise<StoredMailing> {
    const after = mailing.cursor.afterMunicipalityId;
    const municipalityId = municipalityIds.find((id) => after === null || id > after);
    if (municipalityId === undefined) return { ...mailing, status: 'delivering', cursor: { afterMunicipalityId: after, token: null } };
    const page = await this.audiences.userIds(municipalityId, { limit: QUEUE_PAGE, continuationToken: mailing.cursor.token ?? undefined });
    await this.outbox.enqueue(mailing.id, page.items.map((user) => ({ municipalityId, userId: user.id })));
    if (page.continuationToken) return { ...mailing, cursor: { afterMunicipalityId: after, token: page.continuationToken } };
    return { ...mailing, cursor: { afterMunicipalityId: municipalityId, token: null } };
  }

  /**
   * The registry is one small partition (~360 municipalities), read once per run. The
   * cursor names the last municipality done, so a later run resumes after it.
   */
  private async sortedMunicipalityIds(): Promise<string[]> {
    const ids: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.audiences.municipalityIds({ limit: 100, continuationToken });
      ids.push(...page.items.map((municipality) => municipality.id));
      continuationToken = page.continuationToken ?? undefined;
    } while (continuationToken);
    return ids.sort();
  }

  private read(id: string): Promise<Versioned<StoredMailing> | undefined> {
    return readTyped<StoredMailing>(this.platform, id, [['pk', MAILINGS_PARTITION]], 'mailing');
  }

  /** Saves progress; if another runner moved the mailing on meanwhile, continues from its state. */
  private async save(current: Versioned<StoredMailing>, next: StoredMailing): Promise<Versioned<StoredMailing> | undefined> {
    const { id, pk, type, kind, subject, text, audience, status, cursor, createdAt } = next;
    const document: StoredMailing = { id, pk, type, kind, subject, text, audience, status, cursor, createdAt, updatedAt: this.clock.now().toISOString() };
    try {
      const { resource, etag } = await this.platform
        .item(id, pk)
        .replace<StoredMailing>(document, { accessCondition: { type: 'IfMatch', condition: current.etag } });
      return resource ? { value: resource, etag } : undefined;
    } catch (error) {
      if (isCosmosStatus(error, 412)) return this.read(id);
      throw error;
    }
  }
}
