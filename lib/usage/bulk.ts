import type { Container, JSONObject, OperationInput, PartitionKey } from '@azure/cosmos';

/** Operations per bulk request: the service's limit per partition key range. */
export const BULK_CHUNK = 100;

const ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 50;
/** Throttled, unavailable, timed out, write conflict: worth another attempt. */
const TRANSIENT = new Set([408, 429, 449, 503]);

/** A bulk operation the caller does not accept; carries the status as the SDK's errors do. */
export class BulkOperationFailed extends Error {
  constructor(readonly code: number, failed: number) {
    super(`${failed} bulk operation(s) failed; first status ${code}`);
    this.name = 'BulkOperationFailed';
  }
}

/**
 * Runs operations as bulk requests of up to 100 and fails with the first status the caller
 * does not accept, so callers can treat "already exists" (409) or "already gone" (404) as
 * done and make every bulk idempotent.
 */
export async function bulkWrite(container: Container, operations: readonly OperationInput[], accepted: (status: number) => boolean): Promise<void> {
  for (let start = 0; start < operations.length; start += BULK_CHUNK) {
    const refused = (await bulkStatuses(container, operations.slice(start, start + BULK_CHUNK))).filter((status) => !accepted(status));
    if (refused[0] !== undefined) throw new BulkOperationFailed(refused.find((status) => !TRANSIENT.has(status)) ?? refused[0], refused.length);
  }
}

/**
 * One bulk request of at most 100 operations, and each operation's final status, in order.
 *
 * `items.bulk` rather than `executeBulkOperations`: the latter waits a fixed second for
 * every partial batch, which a request path and a job of many small batches cannot afford.
 * In exchange the retries are ours: throttled or unavailable operations are sent again with
 * back-off (their last status is returned if they never succeed), and a bulk request that
 * failed as a whole (its status is lost in the SDK's error) is repeated, then reported as 503
 * (unavailable: the caller retries).
 */
export async function bulkStatuses(container: Container, operations: readonly OperationInput[]): Promise<number[]> {
  if (operations.length > BULK_CHUNK) throw new Error(`a bulk request holds at most ${BULK_CHUNK} operations`);
  const statuses: number[] = [];
  let pending = operations.map((operation, index) => ({ operation, index }));
  for (let attempt = 1; pending.length > 0; attempt++) {
    let answered: number[];
    try {
      answered = (await container.items.bulk(pending.map(({ operation }) => operation))).map((result) => result.statusCode);
    } catch {
      if (attempt >= ATTEMPTS) throw new BulkOperationFailed(503, pending.length);
      await backOff(attempt);
      continue;
    }
    for (const [position, { index }] of pending.entries()) statuses[index] = answered[position] ?? 500;
    const again = pending.filter(({ index }) => TRANSIENT.has(statuses[index] ?? 500));
    if (again.length === 0 || attempt >= ATTEMPTS) break;
    await backOff(attempt);
    pending = again;
  }
  return statuses;
}

function backOff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, FIRST_BACKOFF_MS * 2 ** (attempt - 1)));
}

export const created = (status: number): boolean => status === 201 || status === 409;
export const deleted = (status: number): boolean => status === 204 || status === 404;

/** A document to create in bulk (undefined fields are dropped by JSON, as for point writes). */
export function createOperation(document: object, partitionKey: PartitionKey): OperationInput {
  return { operationType: 'Create', partitionKey, resourceBody: document as JSONObject };
}

export function deleteOperation(id: string, partitionKey: PartitionKey): OperationInput {
  return { operationType: 'Delete', id, partitionKey };
}
