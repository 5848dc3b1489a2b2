import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import type { Clock } from '../../clock.js';
import { isCosmosStatus } from '../../data/cosmos-errors.js';
import { readTyped, type Versioned } from '../../data/documents.js';
import { problems } from '../../http/problem.js';
import { identityKey } from '../../identity/identity-key.js';
import type { Principal } from '../../identity/principal.js';
import { pagingQuery, type Page } from '../../paging/continuation.js';
import type { ContinuationSealer } from '../../paging/continuation-sealer.js';
import { queryPage, type PageRequest } from '../../paging/query-page.js';
import { timeOfId, timeOrderedId } from '../time-ordered-id.js';
import { freeText } from '../../http/text-input.js';

const AUTHORS = ['requester', 'operator'] as const;

export const supportRequestInputSchema = z.strictObject({
  subject: freeText({ max: 200 }),
  message: freeText({ max: 5000, multiline: true }),
});

export const supportMessageInputSchema = z.strictObject({
  text: freeText({ max: 5000, multiline: true }),
});

const messageSchema = z.object({ id: z.string(), author: z.enum(AUTHORS), text: z.string(), at: z.string() });

export const supportRequestSchema = z.object({
  id: z.string(),
  subject: z.string(),
  /** The requester's municipality, if they are registered staff; never who they are. */
  municipalityId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  messages: z.array(messageSchema),
});

export const supportSummarySchema = z.object({
  id: z.string(),
  subject: z.string(),
  createdAt: z.string(),
  /** Operators' inbox only: when the thread last changed and who wrote last. */
  updatedAt: z.string().optional(),
  lastAuthor: z.enum(AUTHORS).optional(),
});

export const supportListQuerySchema = z.strictObject({
  ...pagingQuery,
  /** Operators only: the month (of creation) to list; default the current month. */
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM').optional(),
});

export type SupportRequest = z.infer<typeof supportRequestSchema>;
export type SupportSummary = z.infer<typeof supportSummarySchema>;
type Author = (typeof AUTHORS)[number];

interface StoredSupportRequest {
  id: string;
  pk: string;
  type: 'support-request';
  requesterKey: string;
  municipalityId: string | null;
  subject: string;
  messages: z.infer<typeof messageSchema>[];
  lastAuthor: Author;
  createdAt: string;
  updatedAt: string;
}

interface StoredRequestRef {
  id: string;
  pk: string;
  type: 'support-request-ref';
  subject: string;
  createdAt: string;
}

/** Keeps a thread document far below the 2 MB item limit (100 x 5000 characters). */
export const MAX_MESSAGES = 100;
const WRITE_ATTEMPTS = 5;

/**
 * Support requests and their message threads (P8): "when you contact us, we record the
 * communication". Container `support`, partition key `/pk`:
 * - a thread lives in the partition of its month (`requests:YYYY-MM`), found from its
 *   time-ordered id with one point read, by its requester or an operator;
 * - each requester has a partition of references (`requester:<key>`, the key being the
 *   hash of token issuer and subject that identity mappings use), which lists "my
 *   requests" with one query, for staff and unregistered identities alike;
 * - operators list a month's threads with one query.
 * Operators see threads only: nothing here reaches tenant records.
 */
export class SupportDesk {
  constructor(
    private readonly support: Container,
    private readonly clock: Clock,
    private readonly continuations: ContinuationSealer,
  ) {}

  async open(principal: Principal, input: z.infer<typeof supportRequestInputSchema>): Promise<SupportRequest> {
    const now = this.clock.now();
    const at = now.toISOString();
    const requesterKey = identityKey(principal.identity);
    const request: StoredSupportRequest = {
      id: timeOrderedId(now),
      pk: monthPartition(at.slice(0, 7)),
      type: 'support-request',
      requesterKey,
      municipalityId: principal.kind === 'staff' ? principal.municipalityId : null,
      subject: input.subject,
      messages: [{ id: randomUUID(), author: authorOf(principal), text: input.message, at }],
      lastAuthor: authorOf(principal),
      createdAt: at,
      updatedAt: at,
    };
    // The thread first: if the reference is lost to a crash, the request is still on record.
    await this.support.items.create(request);
    const ref: StoredRequestRef = { id: request.id, pk: requesterPartition(requesterKey), type: 'support-request-ref', subject: input.subject, createdAt: at };
    await this.support.items.create(ref);
    return view(request);
  }

  async list(principal: Principal, query: PageRequest & { month?: string | undefined }): Promise<Page<SupportSummary>> {
    if (principal.kind === 'operator') {
      const month = query.month ?? this.clock.now().toISOString().slice(0, 7);
      return queryPage<SupportSummary>(
        this.continuations,
        this.support,
        { select: 'c.id, c.subject, c.createdAt, c.updatedAt, c.lastAuthor', where: "c.type = 'support-request'", orderBy: 'c.createdAt DESC' },
        [['pk', monthPartition(month)]],
        query,
      );
    }
    if (query.month !== undefined) {
      throw problems.validation([{ field: 'query/month', message: 'only platform operators list by month' }]);
    }
    return queryPage<SupportSummary>(
      this.continuations,
      this.support,
      { select: 'c.id, c.subject, c.createdAt', where: "c.type = 'support-request-ref'", orderBy: 'c.createdAt DESC' },
      [['pk', requesterPartition(identityKey(principal.identity))]],
      query,
    );
  }

  async get(principal: Principal, id: string): Promise<SupportRequest> {
    return view((await this.readVisible(principal, id)).value);
  }

  async reply(principal: Principal, id: string, text: string): Promise<SupportRequest> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt += 1) {
      const current = await this.readVisible(principal, id);
      if (current.value.messages.length >= MAX_MESSAGES) throw problems.conflict('This thread is full; open a new support request');
      const at = this.clock.now().toISOString();
      const author = authorOf(principal);
      const next: StoredSupportRequest = {
        ...current.value,
        messages: [...current.value.messages, { id: randomUUID(), author, text, at }],
        lastAuthor: author,
        updatedAt: at,
      };
      try {
        await this.support.item(id, next.pk).replace(next, { accessCondition: { type: 'IfMatch', condition: current.etag } });
        return view(next);
      } catch (error) {
        // Someone else wrote to the thread meanwhile: append on top of their message.
        if (!isCosmosStatus(error, 412)) throw error;
      }
    }
    throw problems.conflict('The thread changed concurrently; try again');
  }

  /** The requester's own thread, or any thread for an operator; anything else is 404. */
  private async readVisible(principal: Principal, id: string): Promise<Versioned<StoredSupportRequest>> {
    const createdAt = timeOfId(id);
    const stored = createdAt
      ? await readTyped<StoredSupportRequest>(this.support, id, [['pk', monthPartition(createdAt.toISOString().slice(0, 7))]], 'support-request')
      : undefined;
    if (!stored) throw problems.notFound();
    if (principal.kind !== 'operator' && stored.value.requesterKey !== identityKey(principal.identity)) throw problems.notFound();
    return stored;
  }
}

function authorOf(principal: Principal): Author {
  return principal.kind === 'operator' ? 'operator' : 'requester';
}

function monthPartition(month: string): string {
  return `requests:${month}`;
}

function requesterPartition(requesterKey: string): string {
  return `requester:${requesterKey}`;
}

function view(stored: StoredSupportRequest): SupportRequest {
  return {
    id: stored.id,
    subject: stored.subject,
    municipalityId: stored.municipalityId,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
    messages: stored.messages,
  };
}
