import { z } from 'zod';
import type { UsageCells } from '../usage/usage-cells.js';
import type { UsageCellDocument } from '../usage/usage-model.js';

/** P7: no group smaller than this many distinct people is ever shown. */
export const MINIMUM_GROUP_SIZE = 5;
/** A school term and a bit: bounds what one request reads (docs/sessions-exports-analytics.md). */
export const MAX_RANGE_DAYS = 92;

const DAY_MS = 86_400_000;

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

interface Tally {
  events: number;
  people: Set<string>;
}

/**
 * Usage analytics (P7): counts of events and distinct people over the usage of one
 * municipality (P6), grouped by feature, day or school, with every group under five
 * distinct people suppressed. Never a row per person: people are only ever counted.
 *
 * It reads the daily usage cells (lib/usage/usage-cells.ts), kept up at ingestion: per day
 * of the range one index and one cell per feature used that day, all point reads within the
 * municipality, so its cost follows days and features, not events. Distinct people are
 * counted over the cells' keyed digests; anonymised usage (P10) has none and counts as
 * events only.
 */
export class UsageAnalytics {
  constructor(private readonly cells: UsageCells) {}

  async usageReport(municipalityId: string, query: AnalyticsQuery): Promise<UsageReport> {
    const groups = new Map<string, Tally>();
    const total: Tally = { events: 0, people: new Set() };
    for (const cell of await this.cells.cellsOf(municipalityId, daysOf(query))) {
      add(total, cell.events, Object.keys(cell.people));
      for (const [key, events, people] of groupsOf(cell, query.groupBy)) {
        const group = groups.get(key) ?? { events: 0, people: new Set<string>() };
        add(group, events, people);
        groups.set(key, group);
      }
    }
    const shown = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, tally]) => ({ key, ...publish(tally) }));
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
}

function daysOf(query: AnalyticsQuery): string[] {
  const days: string[] = [];
  for (let at = Date.parse(query.from); at <= Date.parse(query.to); at += DAY_MS) days.push(new Date(at).toISOString().slice(0, 10));
  return days;
}

function add(tally: Tally, events: number, people: readonly string[]): void {
  tally.events += events;
  for (const person of people) tally.people.add(person);
}

function publish(tally: Tally): { suppressed: boolean; events?: number; people?: number } {
  if (tally.people.size < MINIMUM_GROUP_SIZE) return { suppressed: true };
  return { suppressed: false, events: tally.events, people: tally.people.size };
}

/** What one cell adds to each group: a person at two schools counts at both. */
function groupsOf(cell: UsageCellDocument, groupBy: AnalyticsQuery['groupBy']): [key: string, events: number, people: string[]][] {
  const people = Object.keys(cell.people);
  if (groupBy === 'feature') return [[cell.feature, cell.events, people]];
  if (groupBy === 'day') return [[cell.day, cell.events, people]];
  return Object.entries(cell.schoolEvents).map(([school, events]) => [school, events, people.filter((person) => cell.people[person]?.includes(school))]);
}
