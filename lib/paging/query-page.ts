import type { Container, SqlParameter } from '@azure/cosmos';
import { HttpProblem } from '../http/problem.js';
import { cosmosStatus } from '../data/cosmos-errors.js';
import { partitionKeyOf, type PartitionFilter } from '../data/documents.js';
import { unwrapContinuation, wrapContinuation, type Page } from './continuation.js';

export interface PageRequest {
  limit: number;
  continuationToken?: string | undefined;
}


export interface ScopedQuery {
  select?: string;
  where?: string;
  orderBy?: string;
  parameters?: SqlParameter[];
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
      parameters: [...partition.map(([, value], index) => ({ name: `@pk${index}`, value })), ...(query.parameters ?? [])],
    },
    partitionKey: partitionKeyOf(partition, hierarchical),
  };
}

/** One page of a single-partition query: exactly one query round trip. */
export async function queryPage<T>(
  container: Container,
  query: ScopedQuery,
  partition: PartitionFilter,
  page: PageRequest,
): Promise<Page<T>> {
  const { spec, partitionKey } = partitionQuery(query, partition);
  const scope = `${container.id}|${JSON.stringify(partition)}|${spec.query}`;
  const continuationToken = unwrapContinuation(scope, page.continuationToken);
  try {
    const response = await container.items
      .query<T>(spec, { partitionKey, maxItemCount: page.limit, continuationToken })
      .fetchNext();
    return { items: response.resources, continuationToken: wrapContinuation(scope, response.continuationToken) };
  } catch (error) {
    if (continuationToken !== undefined && (cosmosStatus(error) === 400 || error instanceof SyntaxError)) {
      throw new HttpProblem(400, 'invalid-continuation-token', 'Invalid continuation token', 'The continuation token is no longer valid', {
        errors: [{ field: 'query/continuationToken', message: 'not a token issued for this list' }],
      });
    }
    throw error;
  }
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
