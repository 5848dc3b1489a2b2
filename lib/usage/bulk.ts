import type { Container, JSONObject, OperationInput, OperationResponse, PartitionKey } from '@azure/cosmos';
import { DeadlineExceeded } from '../data/request-deadline.js';

const DEADLINE_MESSAGE = new DeadlineExceeded().message;

/** Operations per bulk request: the service's limit per partition key range. */
export const BULK_CHUNK = 100;

/** Bulk requests failed as a whole before giving up: such a failure is rarely one a wait cures. */
const ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 50;
/** Longest single wait, whatever the service asks, so one long hint cannot spend the whole budget at once. */
const MAX_WAIT_MS = 5_000;
/**
 * All waits of one bulk request together, which every caller chooses. A request's: its caller
 * waits, and the request has seconds in all (the client retries a 503).
 */
export const REQUEST_RETRY_BUDGET_MS = 2_000;
/**
 * A job activity's or a background write's, which nobody waits for: long enough to outlast a
 * burst of throttling, short enough that an activity stays well inside its time limit (the
 * orchestration's retry takes over).
 */
export const JOB_RETRY_BUDGET_MS = 30_000;
/** Throttled, unavailable, timed out, write conflict: worth another attempt. */
const TRANSIENT = new Set([408, 429, 449, 503]);

/** A bulk operation the caller does not accept; carries the status (and a throttled one's wait) as the SDK's errors do. */
export class BulkOperationFailed extends Error {
  constructor(
    readonly code: number,
    failed: number,
    readonly retryAfterInMs?: number,
  ) {
    super(`${failed} bulk operation(s) failed; first status ${code}`);
    this.name = 'BulkOperationFailed';
  }
}

/**
 * Runs operations as bulk requests of up to 100 and fails with the first status the caller
 * does not accept, so callers can treat "already exists" (409) or "already gone" (404) as
 * done and make every bulk idempotent.
 */
export async function bulkWrite(container: Container, operations: readonly OperationInput[], accepted: (status: number) => boolean, retryBudgetMs: number): Promise<void> {
  for (let start = 0; start < operations.length; start += BULK_CHUNK) {
    const { statuses, retryAfterMs } = await bulkAttempts(container, operations.slice(start, start + BULK_CHUNK), retryBudgetMs);
    const refused = statuses.filter((status) => !accepted(status));
    // The service's last wait goes with a throttled failure, so a request's 503 says how long to wait.
    if (refused[0] !== undefined) throw new BulkOperationFailed(refused.find((status) => !TRANSIENT.has(status)) ?? refused[0], refused.length, retryAfterMs);
  }
}

/**
 * One bulk request of at most 100 operations, and each operation's final status, in order.
 *
 * `items.bulk` rather than `executeBulkOperations`: the latter waits a fixed second for
 * every partial batch, which a request path and a job of many small batches cannot afford.
 * In exchange the retries are ours: throttled or unavailable operations are sent again after
 * the wait the service asks for (else with back-off), within `retryBudgetMs` in all (their last status
 * is returned if they never succeed), and a bulk request that failed as a whole (its status is
 * lost in the SDK's error) is repeated, then its operations are reported 503 (unavailable: the
 * caller retries).
 */
export async function bulkStatuses(container: Container, operations: readonly OperationInput[], retryBudgetMs: number): Promise<number[]> {
  return (await bulkAttempts(container, operations, retryBudgetMs)).statuses;
}

/** `bulkStatuses`, with the last wait the service asked of a throttled operation. */
async function bulkAttempts(container: Container, operations: readonly OperationInput[], retryBudgetMs: number): Promise<{ statuses: number[]; retryAfterMs?: number }> {
  if (operations.length > BULK_CHUNK) throw new Error(`a bulk request holds at most ${BULK_CHUNK} operations`);
  const deadline = Date.now() + retryBudgetMs;
  const statuses: number[] = [];
  let retryAfterMs: number | undefined;
  let pending = operations.map((operation, index) => ({ operation, index }));
  for (let attempt = 1, failures = 0; pending.length > 0; attempt++) {
    let answered: OperationResponse[];
    try {
      answered = await container.items.bulk(pending.map(({ operation }) => operation));
    } catch (error) {
      // The request's own deadline has passed: another attempt would be cut at once. The SDK
      // rethrows what cut its bulk call as a plain Error that keeps only the message.
      if (error instanceof DeadlineExceeded || (error instanceof Error && error.message.endsWith(DEADLINE_MESSAGE))) throw new DeadlineExceeded();
      failures += 1;
      if (failures < ATTEMPTS && (await waitWithin(deadline, backOff(attempt)))) continue;
      // Unavailable, each operation on its own: what earlier attempts wrote keeps its status.
      for (const { index } of pending) statuses[index] = 503;
      break;
    }
    const again = pending.flatMap(({ operation, index }, position) => {
      const status = answered[position]?.statusCode ?? 500;
      statuses[index] = status;
      const hint = retryHint(answered[position]);
      return TRANSIENT.has(status) ? [{ operation, index, hint, wait: hint ?? backOff(attempt) }] : [];
    });
    const hints = again.flatMap(({ hint }) => (hint === undefined ? [] : [hint]));
    retryAfterMs = hints.length > 0 ? Math.max(...hints) : undefined;
    if (again.length === 0 || !(await waitWithin(deadline, Math.max(...again.map(({ wait }) => wait))))) break;
    pending = again;
  }
  return { statuses, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

/**
 * The wait the service asks of a throttled operation. It comes in the operation's JSON, which
 * `items.bulk` returns as is, though the SDK's `OperationResponse` type (4.9.3) leaves it out;
 * the SDK's own `executeBulkOperations` reads it from there too.
 */
function retryHint(response: OperationResponse | undefined): number | undefined {
  const hint = Number((response as { retryAfterMilliseconds?: unknown } | undefined)?.retryAfterMilliseconds);
  return Number.isFinite(hint) && hint > 0 ? hint : undefined;
}

function backOff(attempt: number): number {
  return FIRST_BACKOFF_MS * 2 ** (attempt - 1);
}

/** Waits (capped), unless the wait would end past the deadline: then the caller stops with what it has. */
async function waitWithin(deadline: number, milliseconds: number): Promise<boolean> {
  const wait = Math.min(milliseconds, MAX_WAIT_MS);
  if (Date.now() + wait > deadline) return false;
  await new Promise((resolve) => setTimeout(resolve, wait));
  return true;
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
