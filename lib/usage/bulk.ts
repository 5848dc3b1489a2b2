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
 *
 * `items.bulk` rather than `executeBulkOperations`: the latter waits a fixed second for
 * every partial batch, which a request path and a job of many small batches cannot afford.
 * In exchange the retries are ours: throttled or unavailable operations are sent again with
 * back-off, and a bulk request that failed as a whole (its status is lost in the SDK's
 * error) is repeated, then reported as 503 (unavailable: the caller retries).
 */
export async function bulkWrite(container: Container, operations: readonly OperationInput[], accepted: (status: number) => boolean): Promise<void> {
  for (let start = 0; start < operations.length; start += BULK_CHUNK) {
    let pending = operations.slice(start, start + BULK_CHUNK);
    for (let attempt = 1; pending.length > 0; attempt++) {
      let statuses: number[];
      try {
        statuses = (await container.items.bulk(pending)).map((result) => result.statusCode);
      } catch {
        if (attempt >= ATTEMPTS) throw new BulkOperationFailed(503, pending.length);
        await backOff(attempt);
        continue;
      }
      const refused = statuses.filter((status) => !accepted(status) && !TRANSIENT.has(status));
      if (refused[0] !== undefined) throw new BulkOperationFailed(refused[0], refused.length);
      const again = pending.filter((_, index) => TRANSIENT.has(statuses[index] ?? 500));
      if (again.length > 0 && attempt >= ATTEMPTS) throw new BulkOperationFailed(statuses.find((status) => TRANSIENT.has(status)) ?? 503, again.length);
      if (again.length > 0) await backOff(attempt);
      pending = again;
    }
  }
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
