import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { monthOf, type Clock } from '../../clock.js';
import { isCosmosStatus } from '../../data/cosmos-errors.js';
import { readTyped, replaceIfMatch, type Versioned } from '../../data/documents.js';
import { problems } from '../../http/problem.js';
import { invalidContinuationToken, pagingQuery, type Page } from '../../paging/continuation.js';
import type { ContinuationSealer } from '../../paging/continuation-sealer.js';
import { queryAll, queryUnsealedPage, type PageRequest, type ScopedQuery } from '../../paging/query-page.js';
import { municipalityIdSchema } from '../../platform/municipalities.js';
import { timeOfId, timeOrderedId } from '../time-ordered-id.js';
import { freeText, nameText } from '../../http/text-input.js';

export const COMPLAINT_STATUSES = ['received', 'contacted', 'resolved', 'referred-to-authority'] as const;
export type ComplaintStatus = (typeof COMPLAINT_STATUSES)[number];

/**
 * The workflow of P17: a formal complaint is followed up by contacting the complainant;
 * it ends resolved or referred to the authority (Datatilsynet). Contacting again is a new
 * follow-up. Closed complaints stay closed.
 */
const TRANSITIONS: Record<ComplaintStatus, readonly ComplaintStatus[]> = {
  received: ['contacted'],
  contacted: ['contacted', 'resolved', 'referred-to-authority'],
  resolved: [],
  'referred-to-authority': [],
};
const OPEN_STATUSES: readonly ComplaintStatus[] = ['received', 'contacted'];

/** Receipt and every contact start a follow-up period of this length. */
export const FOLLOW_UP_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_HISTORY = 200;
const WRITE_ATTEMPTS = 5;

export const complaintInputSchema = z.strictObject({
  name: nameText({ max: 200 }),
  /** An email address, phone number or postal address: how to reach the complainant. */
  contact: freeText({ min: 3, max: 300, multiline: true }),
  text: freeText({ max: 20_000, multiline: true }),
  municipalityId: municipalityIdSchema.optional(),
});

export const complaintReceiptSchema = z.object({
  id: z.string(),
  status: z.enum(COMPLAINT_STATUSES),
  followUpBy: z.string(),
});

export const complaintPatchSchema = z.strictObject({
  status: z.enum(['contacted', 'resolved', 'referred-to-authority']),
  note: freeText({ max: 2000, multiline: true }).optional(),
});

const historyEntrySchema = z.object({ status: z.enum(COMPLAINT_STATUSES), at: z.string(), note: z.string().optional() });

export const complaintSummarySchema = z.object({
  id: z.string(),
  status: z.enum(COMPLAINT_STATUSES),
  municipalityId: z.string().nullable(),
  receivedAt: z.string(),
  followUpBy: z.string().nullable(),
  overdue: z.boolean(),
});

export const complaintSchema = complaintSummarySchema.extend({
  name: z.string(),
  contact: z.string(),
  text: z.string(),
  history: z.array(historyEntrySchema),
  updatedAt: z.string(),
});

export const complaintListQuerySchema = z.strictObject({
  ...pagingQuery,
  overdue: z.enum(['true', 'false']).optional(),
  /** The archive of one year (by receipt), closed complaints included; without it, open complaints. */
  year: z.coerce.number().int().min(2000).max(9999).optional(),
});

export type ComplaintInput = z.infer<typeof complaintInputSchema>;
export type ComplaintPatch = z.infer<typeof complaintPatchSchema>;
export type Complaint = z.infer<typeof complaintSchema>;
export type ComplaintSummary = z.infer<typeof complaintSummarySchema>;

interface StoredComplaint {
  id: string;
  pk: string;
  type: 'complaint';
  status: ComplaintStatus;
  name: string;
  contact: string;
  text: string;
  municipalityId: string | null;
  /** Receipt time; named createdAt because that path is indexed for ordering. */
  createdAt: string;
  followUpBy: string | null;
  history: z.infer<typeof historyEntrySchema>[];
  updatedAt: string;
}

interface OpenMonthsIndex {
  id: typeof INDEX_ID;
  pk: typeof INDEX_PARTITION;
  type: 'complaint-index';
  /** `YYYY-MM`, oldest first. */
  months: string[];
}

const INDEX_PARTITION = 'complaints:index';
const INDEX_ID = 'open-months';
const cursorSchema = z.strictObject({ month: z.string().regex(/^\d{4}-\d{2}$/), inner: z.string().nullable() });

/**
 * The complaint register (P17), in the `platform` container. Complaints are partitioned
 * by the month they were received (`complaints:YYYY-MM`): with intake limited per address
 * and platform-wide (lib/governance/complaints/complaint-routes.ts), a month's partition
 * stays far below Cosmos DB's 20 GB per logical partition whatever a flood does
 * (docs/data-design.md). The id is time-ordered, so a read by id finds its month without a
 * lookup. A small index document lists the months that still have open complaints: the
 * open and overdue lists query only those partitions, one page at a time.
 */
export class ComplaintRegister {
  constructor(
    private readonly platform: Container,
    private readonly clock: Clock,
    private readonly continuations: ContinuationSealer,
  ) {}

  async receive(input: ComplaintInput): Promise<z.infer<typeof complaintReceiptSchema>> {
    const now = this.clock.now();
    const id = timeOrderedId(now);
    const receivedAt = now.toISOString();
    const followUpBy = followUpFrom(now);
    const month = monthOf(now);
    // The index first: a complaint must never sit in a month the open list does not read.
    await this.ensureOpenMonth(month);
    const complaint: StoredComplaint = {
      id,
      pk: monthPartition(month),
      type: 'complaint',
      status: 'received',
      name: input.name,
      contact: input.contact,
      text: input.text,
      municipalityId: input.municipalityId ?? null,
      createdAt: receivedAt,
      followUpBy,
      history: [{ status: 'received', at: receivedAt }],
      updatedAt: receivedAt,
    };
    await this.platform.items.create(complaint);
    return { id, status: 'received', followUpBy };
  }

  async get(id: string): Promise<Versioned<Complaint>> {
    const stored = await this.read(id);
    return { value: this.view(stored.value), etag: stored.etag };
  }

  async update(id: string, patch: ComplaintPatch, ifMatch: string): Promise<Versioned<Complaint>> {
    const current = await this.read(id);
    const from = current.value.status;
    if (!TRANSITIONS[from].includes(patch.status)) {
      throw problems.conflict(`A complaint that is ${from} cannot become ${patch.status}`);
    }
    if (current.value.history.length >= MAX_HISTORY) throw problems.conflict('This complaint has too many follow-ups; close it');
    const now = this.clock.now();
    const at = now.toISOString();
    const closing = !OPEN_STATUSES.includes(patch.status);
    const next: StoredComplaint = {
      ...current.value,
      status: patch.status,
      followUpBy: closing ? null : followUpFrom(now),
      history: [...current.value.history, { status: patch.status, at, ...(patch.note === undefined ? {} : { note: patch.note }) }],
      updatedAt: at,
    };
    const saved = await replaceIfMatch(this.platform, current.value.pk, current, next, ifMatch);
    if (closing) await this.pruneOpenMonth(monthOf(new Date(current.value.createdAt)));
    return { value: this.view(saved.value), etag: saved.etag };
  }

  /** One year's complaints, or (without a year) the open ones; `overdue` narrows either. */
  async list(query: { overdue?: 'true' | 'false' | undefined; year?: number | undefined } & PageRequest): Promise<Page<ComplaintSummary>> {
    const now = this.clock.now().toISOString();
    const overdueOnly = query.overdue === 'true';
    const conditions = ["c.type = 'complaint'"];
    if (overdueOnly || query.year === undefined) conditions.push("c.status IN ('received', 'contacted')");
    if (overdueOnly) conditions.push('c.followUpBy < @now');
    const filter = { where: conditions.join(' AND '), orderBy: 'c.createdAt', clockParameters: overdueOnly ? [{ name: '@now', value: now }] : [] };
    const page = { limit: query.limit, continuationToken: query.continuationToken };
    if (query.year !== undefined) {
      const thisMonth = monthOf(this.clock.now());
      const months = Array.from({ length: 12 }, (_, index) => `${query.year}-${String(index + 1).padStart(2, '0')}`).filter((month) => month <= thisMonth);
      return this.listAcrossMonths(months, filter, page, `complaints|year|${query.year}`);
    }
    const open = (await this.openMonths())?.value.months ?? [];
    return this.listAcrossMonths(open, filter, page, `complaints|open|${String(overdueOnly)}`);
  }

  /**
   * Pages through the months' partitions oldest first, filling a page from as many months
   * as it takes (empty months cost one small query each); the caller's token names the month
   * and the page within it.
   */
  private async listAcrossMonths(
    months: readonly string[],
    filter: ScopedQuery,
    page: PageRequest,
    scope: string,
  ): Promise<Page<ComplaintSummary>> {
    const cursor = decodeCursor(this.continuations.open([scope], page.continuationToken));
    // A month that left the open index since the token was issued has nothing open: go on after it.
    let month = cursor === undefined ? months[0] : months.find((candidate) => candidate >= cursor.month);
    let inner = cursor?.month === month ? (cursor?.inner ?? undefined) : undefined;
    const items: ComplaintSummary[] = [];
    const seal = (next: z.infer<typeof cursorSchema>) => this.continuations.seal([scope], JSON.stringify(next));
    while (month !== undefined) {
      const result = await queryUnsealedPage<StoredComplaint>(this.platform, filter, [['pk', monthPartition(month)]], {
        limit: page.limit - items.length,
        continuationToken: inner,
      });
      items.push(...result.items.map((stored) => this.summary(stored)));
      if (result.continuationToken) return { items, continuationToken: seal({ month, inner: result.continuationToken }) };
      const current: string = month;
      month = months.find((candidate) => candidate > current);
      inner = undefined;
      if (items.length >= page.limit) return { items, continuationToken: month === undefined ? null : seal({ month, inner: null }) };
    }
    return { items, continuationToken: null };
  }

  private async read(id: string): Promise<Versioned<StoredComplaint>> {
    const receivedAt = timeOfId(id);
    const stored = receivedAt
      ? await readTyped<StoredComplaint>(this.platform, id, [['pk', monthPartition(monthOf(receivedAt))]], 'complaint')
      : undefined;
    if (!stored) throw problems.notFound();
    return stored;
  }

  private openMonths(): Promise<Versioned<OpenMonthsIndex> | undefined> {
    return readTyped<OpenMonthsIndex>(this.platform, INDEX_ID, [['pk', INDEX_PARTITION]], 'complaint-index');
  }

  private async ensureOpenMonth(month: string): Promise<void> {
    await this.changeOpenMonths((months) => (months.includes(month) ? undefined : [...months, month].sort()));
  }

  /**
   * A past month leaves the index once its last open complaint closes (the current month
   * stays: complaints still arrive in it). Closed is final, so an empty past month stays empty.
   */
  private async pruneOpenMonth(month: string): Promise<void> {
    if (month >= monthOf(this.clock.now())) return;
    const [open] = await queryAll<number>(
      this.platform,
      { select: 'VALUE COUNT(1)', where: "c.type = 'complaint' AND c.status IN ('received', 'contacted')" },
      [['pk', monthPartition(month)]],
    );
    if ((open ?? 0) > 0) return;
    await this.changeOpenMonths((months) => (months.includes(month) ? months.filter((candidate) => candidate !== month) : undefined));
  }

  private async changeOpenMonths(change: (months: string[]) => string[] | undefined): Promise<void> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt += 1) {
      const current = await this.openMonths();
      const months = change(current?.value.months ?? []);
      if (months === undefined) return;
      const document: OpenMonthsIndex = { id: INDEX_ID, pk: INDEX_PARTITION, type: 'complaint-index', months };
      try {
        if (current) {
          await this.platform.item(document.id, INDEX_PARTITION).replace(document, { accessCondition: { type: 'IfMatch', condition: current.etag } });
        } else {
          await this.platform.items.create(document);
        }
        return;
      } catch (error) {
        if (!isCosmosStatus(error, 412) && !isCosmosStatus(error, 409)) throw error;
      }
    }
    throw problems.unavailable('The complaint register is busy; retry shortly', 1);
  }

  private summary(stored: StoredComplaint): ComplaintSummary {
    return {
      id: stored.id,
      status: stored.status,
      municipalityId: stored.municipalityId,
      receivedAt: stored.createdAt,
      followUpBy: stored.followUpBy,
      overdue: stored.followUpBy !== null && stored.followUpBy < this.clock.now().toISOString(),
    };
  }

  private view(stored: StoredComplaint): Complaint {
    return {
      ...this.summary(stored),
      name: stored.name,
      contact: stored.contact,
      text: stored.text,
      history: stored.history,
      updatedAt: stored.updatedAt,
    };
  }
}

function decodeCursor(raw: string | undefined): z.infer<typeof cursorSchema> | undefined {
  if (raw === undefined) return undefined;
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(raw));
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: rejected below like any other foreign token
  }
  throw invalidContinuationToken();
}

function followUpFrom(at: Date): string {
  return new Date(at.getTime() + FOLLOW_UP_DAYS * DAY_MS).toISOString();
}

function monthPartition(month: string): string {
  return `complaints:${month}`;
}

