import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { queryAll, queryPrefixPages } from '../paging/query-page.js';

/** P7: no group smaller than this many distinct people is ever shown. */
export const MINIMUM_GROUP_SIZE = 5;
/** A school term and a bit: bounds what one request reads (docs/sessions-exports-analytics.md). */
export const MAX_RANGE_DAYS = 92;
/** Events of staff with no school, and anonymised events (whose account is gone), when grouped by school. */
export const NO_SCHOOL = 'no-school';

const DAY_MS = 86_400_000;
const PAGE_SIZE = 1_000;

export const analyticsQuerySchema = z
  .strictObject({
    /** First day (UTC), inclusive. */
    from: z.iso.date(),
    /** Last day (UTC), inclusive. */
    to: z.iso.date(),
    groupBy: z.enum(['feature', 'day', 'school']).default('feature'),
  })
  .refine((query) => query.from <= query.to, { message: 'must not be before from', path: ['to'] })
  .refine((query) => Date.parse(query.to) - Date.parse(query.from) < MAX_RANGE_DAYS * DAY_MS, { message: `the range may span at most ${MAX_RANGE_DAYS} days`, path: ['to'] });

export type AnalyticsQuery = z.infer<typeof analyticsQuerySchema>;

const countsSchema = {
  /** True when fewer than the minimum group size of people are behind it: then no counts. */
  suppressed: z.boolean(),
  events: z.number().int().optional(),
  people: z.number().int().optional(),
};

export const usageReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  groupBy: z.enum(['feature', 'day', 'school']),
  minimumGroupSize: z.number().int(),
  cells: z.array(z.object({ key: z.string(), ...countsSchema })),
  /** Suppressed whenever any cell is, so that no suppressed cell can be worked out by subtraction. */
  total: z.object(countsSchema),
});

export type UsageReport = z.infer<typeof usageReportSchema>;

interface EventRow {
  feature: string;
  at: string;
  accountId?: string;
}

interface Tally {
  events: number;
  people: Set<string>;
}

/**
 * Usage analytics (P7): counts of events and distinct people over the usage events of one
 * municipality (P6), grouped by feature, day or school, with every group under five
 * distinct people suppressed. Never a row per person: people are only ever counted.
 *
 * The emulator has no GROUP BY or DISTINCT, and real Cosmos DB cannot count distinct
 * people across partitions either, so the aggregation happens here, over one query across
 * the municipality's prefix of the `usage` container (never another tenant's), bounded by
 * the date range and reading three small fields per event. Its cost is linear in the
 * events in the range; docs/sessions-exports-analytics.md has the numbers and the
 * daily-aggregate design that replaces it when that grows too large.
 */
export class UsageAnalytics {
  constructor(
    private readonly usage: Container,
    private readonly directory: Container,
  ) {}

  async usageReport(municipalityId: string, query: AnalyticsQuery): Promise<UsageReport> {
    const schoolsOf = query.groupBy === 'school' ? await this.schoolsByAccount(municipalityId) : undefined;
    const cells = new Map<string, Tally>();
    const total: Tally = { events: 0, people: new Set() };
    const events = queryPrefixPages<EventRow>(
      this.usage,
      {
        select: 'c.feature, c.at, c.accountId',
        where: "c.type = 'usage-event' AND c.at >= @from AND c.at < @until",
        parameters: [
          { name: '@from', value: `${query.from}T00:00:00.000Z` },
          { name: '@until', value: new Date(Date.parse(query.to) + DAY_MS).toISOString() },
        ],
      },
      [['municipalityId', municipalityId]],
      PAGE_SIZE,
    );
    for await (const page of events) {
      for (const event of page) {
        count(total, event.accountId);
        for (const key of keysOf(event, query.groupBy, schoolsOf)) {
          const cell = cells.get(key) ?? { events: 0, people: new Set<string>() };
          count(cell, event.accountId);
          cells.set(key, cell);
        }
      }
    }
    const shown = [...cells.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, tally]) => ({ key, ...publish(tally) }));
    const anySuppressed = shown.some((cell) => cell.suppressed);
    return {
      from: query.from,
      to: query.to,
      groupBy: query.groupBy,
      minimumGroupSize: MINIMUM_GROUP_SIZE,
      cells: shown,
      total: anySuppressed ? { suppressed: true } : publish(total),
    };
  }

  /** Every staff user's schools: one single-partition query of ids, never names. */
  private async schoolsByAccount(municipalityId: string): Promise<Map<string, readonly string[]>> {
    const users = await queryAll<{ id: string; schoolIds?: string[] }>(this.directory, { select: 'c.id, c.schoolIds', where: "c.type = 'user'" }, [['municipalityId', municipalityId]]);
    return new Map(users.map((user) => [user.id, user.schoolIds ?? []]));
  }
}

function count(tally: Tally, accountId: string | undefined): void {
  tally.events += 1;
  // Anonymised events (P10) count as events, but nobody can be counted behind them.
  if (accountId !== undefined) tally.people.add(accountId);
}

function publish(tally: Tally): { suppressed: boolean; events?: number; people?: number } {
  if (tally.people.size < MINIMUM_GROUP_SIZE) return { suppressed: true };
  return { suppressed: false, events: tally.events, people: tally.people.size };
}

/** A person at two schools counts at both. */
function keysOf(event: EventRow, groupBy: AnalyticsQuery['groupBy'], schoolsOf: Map<string, readonly string[]> | undefined): readonly string[] {
  if (groupBy === 'feature') return [event.feature];
  if (groupBy === 'day') return [event.at.slice(0, 10)];
  const schools = event.accountId === undefined ? [] : (schoolsOf?.get(event.accountId) ?? []);
  return schools.length > 0 ? schools : [NO_SCHOOL];
}
