import { AsyncLocalStorage } from 'node:async_hooks';
import { CONTAINERS } from './containers.js';

/**
 * `guard-write`: a write of the request guards (rate counters, idempotency records), which
 * count and remember requests, not the caller's data: a refused request may make one.
 */
export const OPERATION_KINDS = ['point-read', 'partition-query', 'cross-partition-query', 'write', 'guard-write', 'metadata'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];
export type OperationCounts = Record<OperationKind, number>;

export function emptyCounts(): OperationCounts {
  return { 'point-read': 0, 'partition-query': 0, 'cross-partition-query': 0, write: 0, 'guard-write': 0, metadata: 0 };
}

/** What counts Cosmos DB network requests by kind: per process and per scope (one HTTP request, one job batch). */
export interface OperationCounter {
  record(kind: OperationKind): void;
  /**
   * Runs `work` and returns what it did together with the operations it made; `counts`, when
   * given, is filled as it goes, so the operations of work that throws are known too.
   */
  measure<T>(work: () => Promise<T>, counts?: OperationCounts): Promise<{ result: T; counts: OperationCounts }>;
  /**
   * Records into the current scope alone, later: for a round trip made outside the scope on
   * its behalf and shared with other scopes (a group commit), which the process total
   * counts once, where it runs, and each scope it served counts as its own.
   */
  forCurrentScope(): (kind: OperationKind) => void;
  snapshot(): OperationCounts;
}

/**
 * Counts, so that tests and benchmarks can assert how many round trips a route costs (the
 * `x-engage-cosmos-operations` header of local mode). The composition root uses it where
 * the counts are read; its async context per request is not free.
 */
export class CountingOperations implements OperationCounter {
  readonly total: OperationCounts = emptyCounts();
  private readonly scopes = new AsyncLocalStorage<OperationCounts>();

  record(kind: OperationKind): void {
    this.total[kind] += 1;
    const scoped = this.scopes.getStore();
    if (scoped) scoped[kind] += 1;
  }

  async measure<T>(work: () => Promise<T>, counts: OperationCounts = emptyCounts()): Promise<{ result: T; counts: OperationCounts }> {
    const result = await this.scopes.run(counts, work);
    return { result, counts };
  }

  forCurrentScope(): (kind: OperationKind) => void {
    const scoped = this.scopes.getStore();
    return (kind) => {
      if (scoped) scoped[kind] += 1;
    };
  }

  snapshot(): OperationCounts {
    return { ...this.total };
  }
}

/** Where nobody reads the counts (Azure): nothing is counted and no context is kept per request. */
export const uncountedOperations: OperationCounter = {
  record: () => undefined,
  measure: async (work, counts = emptyCounts()) => ({ result: await work(), counts }),
  forCurrentScope: () => () => undefined,
  snapshot: emptyCounts,
};

/** Adds `more` into `counts` (the operations of work counted elsewhere: a worker thread's). */
export function addCountsInto(counts: OperationCounts, more: OperationCounts): void {
  for (const kind of OPERATION_KINDS) counts[kind] += more[kind];
}

/** Counted only where the counts are read: local mode's header (tests, benchmarks). */
export function operationCounterFor(mode: 'local' | 'azure'): OperationCounter {
  return mode === 'local' ? new CountingOperations() : uncountedOperations;
}

export function formatCounts(counts: OperationCounts): string {
  return OPERATION_KINDS.filter((kind) => kind !== 'metadata')
    .map((kind) => `${kind}=${counts[kind]}`)
    .join(', ');
}

interface CosmosRequestShape {
  resourceType?: string;
  /** e.g. `/dbs/engage/colls/rate-limits/docs`: which container. */
  path?: string;
  operationType?: string;
  partitionKey?: unknown;
  headers?: Record<string, unknown>;
}

const WRITE_OPERATIONS = new Set(['create', 'replace', 'upsert', 'delete', 'patch', 'batch']);
const GUARD_CONTAINERS = new RegExp(`/colls/(${CONTAINERS.rateLimits.id}|${CONTAINERS.idempotency.id})(/|$)`);

export function classifyCosmosRequest(request: CosmosRequestShape): OperationKind {
  if (request.resourceType !== 'docs') return 'metadata';
  // The SDK fetches a query plan (an RU-free gateway call) alongside every query page; it is
  // metadata, not a read of data, even though it goes out as operation "read".
  if (request.headers?.['x-ms-cosmos-is-query-plan-request'] !== undefined) return 'metadata';
  const operation = request.operationType ?? '';
  if (operation === 'read') return 'point-read';
  if (WRITE_OPERATIONS.has(operation)) return GUARD_CONTAINERS.test(request.path ?? '') ? 'guard-write' : 'write';
  if (operation === 'query') {
    return request.partitionKey === undefined ? 'cross-partition-query' : 'partition-query';
  }
  return 'metadata';
}
