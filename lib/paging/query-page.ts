import type { Container, PartitionKey, SqlQuerySpec } from '@azure/cosmos';
import { HttpProblem } from '../http/problem.js';
import { cosmosStatus } from '../data/cosmos-errors.js';
import { unwrapContinuation, wrapContinuation, type Page } from './continuation.js';

export interface PageRequest {
  limit: number;
  continuationToken?: string | undefined;
}

/** One page of a single-partition query: exactly one query round trip. */
export async function queryPage<T>(
  container: Container,
  query: SqlQuerySpec,
  partitionKey: PartitionKey,
  scope: string,
  page: PageRequest,
): Promise<Page<T>> {
  const continuationToken = unwrapContinuation(scope, page.continuationToken);
  try {
    const response = await container.items
      .query<T>(query, { partitionKey, maxItemCount: page.limit, continuationToken })
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
