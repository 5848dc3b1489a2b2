import type { Container, SqlParameter } from '@azure/cosmos';
import { cosmosStatus } from '../data/cosmos-errors.js';
import { partitionKeyOf, type PartitionFilter } from '../data/documents.js';
import { invalidContinuationToken, type Page } from './continuation.js';
import type { ContinuationSealer } from './continuation-sealer.js';

export interface PageRequest {
  limit: number;
  continuationToken?: string | undefined;
}

export interface ScopedQuery {
  select?: string;
  where?: string;
  orderBy?: string;
  parameters?: SqlParameter[];
  /**
   * Values the server takes from its clock (such as `@now`): they move between the pages of
   * one list, so a continuation token binds their names (in the query text), not their values.
   */
  clockParameters?: SqlParameter[];
}

/**
 * Builds a query that names its partition twice: as the request's partition key (so real
 * Cosmos DB routes it to one partition) and as a WHERE condition (so that no engine, the
 * local emulator included, which ignores the key on queries, can return another
 * partition's documents).
 */
export function partitionQuery(query: ScopedQuery, partition: PartitionFilter, hierarchical = partition.length > 1) {
  const keyConditions = partition.map(([field], index) => `c.${field} = @pk${index}`);
  const where = [...keyConditions, ...(query.where ? [`(${query.where})`] : [])].join(' AND ');
  return {
    spec: {
      query: `SELECT ${query.select ?? '*'} FROM c WHERE ${where}${query.orderBy ? ` ORDER BY ${query.orderBy}` : ''}`,
      parameters: [
        ...partition.map(([, value], index) => ({ name: `@pk${index}`, value })),
        ...(query.parameters ?? []),
        ...(query.clockParameters ?? []),
      ],
    },
    partitionKey: partitionKeyOf(partition, hierarchical),
  };
}

/**
 * One page of a single-partition query for a caller: exactly one query round trip. The
 * continuation token is sealed to the container, partition, query text and parameters,
 * so a caller can neither forge one nor carry it to another list, tenant or filter.
 */
export async function queryPage<T>(
  continuations: ContinuationSealer,
  container: Container,
  query: ScopedQuery,
  partition: PartitionFilter,
  page: PageRequest,
): Promise<Page<T>> {
  const binding = ['query-page', container.id, partition, partitionQuery(query, partition).spec.query, query.parameters ?? []];
  const result = await queryUnsealedPage<T>(container, query, partition, { limit: page.limit, continuationToken: continuations.open(binding, page.continuationToken) });
  return { items: result.items, continuationToken: result.continuationToken ? continuations.seal(binding, result.continuationToken) : null };
}

/**
 * One page with Cosmos DB's own continuation token, for a list that seals a cursor of its
 * own around it (once, with everything the cursor names): never hand this token out as is.
 */
export async function queryUnsealedPage<T>(container: Container, query: ScopedQuery, partition: PartitionFilter, page: PageRequest): Promise<Page<T>> {
  const { spec, partitionKey } = partitionQuery(query, partition);
  const { continuationToken } = page;
  try {
    const response = await container.items
      .query<T>(spec, { partitionKey, maxItemCount: page.limit, continuationToken })
      .fetchNext();
    return { items: response.resources, continuationToken: response.continuationToken ?? null };
  } catch (error) {
    // A sealed token Cosmos no longer accepts (e.g. after a change of its format).
    if (continuationToken !== undefined && (cosmosStatus(error) === 400 || error instanceof SyntaxError)) {
      throw invalidContinuationToken('The continuation token is no longer valid');
    }
    throw error;
  }
}

/**
 * The first `limit` results of a single-partition query, for background work that deletes
 * or changes what it read and asks again: its continuation never leaves the process.
 */
export async function queryBatch<T>(container: Container, query: ScopedQuery, partition: PartitionFilter, limit: number): Promise<{ items: T[]; more: boolean }> {
  const { spec, partitionKey } = partitionQuery(query, partition);
  const response = await container.items.query<T>(spec, { partitionKey, maxItemCount: limit }).fetchNext();
  return { items: response.resources, more: Boolean(response.continuationToken) };
}

/** All results of a small single-partition query (bounded lookups, not lists served to callers). */
export async function queryAll<T>(container: Container, query: ScopedQuery, partition: PartitionFilter): Promise<T[]> {
  const { spec, partitionKey } = partitionQuery(query, partition);
  const { resources } = await container.items.query<T>(spec, { partitionKey }).fetchAll();
  return resources;
}

/**
 * Pages of a query over a prefix of a hierarchical key (e.g. every student partition of one
 * municipality). For background work only: it spans the physical partitions that hold the
 * prefix, never another tenant's.
 */
export async function* queryPrefixPages<T>(container: Container, query: ScopedQuery, prefix: PartitionFilter, pageSize = 100): AsyncGenerator<T[]> {
  const { spec, partitionKey } = partitionQuery(query, prefix, true);
  const iterator = container.items.query<T>(spec, { partitionKey, maxItemCount: pageSize });
  while (iterator.hasMoreResults()) {
    const { resources } = await iterator.fetchNext();
    if (resources.length > 0) yield resources;
  }
}
