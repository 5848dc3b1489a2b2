import type { Container, Database, OperationInput, OperationResponse } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DeadlineExceeded, RequestDeadlines } from '../../lib/data/request-deadline.js';
import { bulkStatuses, bulkWrite, created, createOperation, JOB_RETRY_BUDGET_MS, REQUEST_RETRY_BUDGET_MS } from '../../lib/usage/bulk.js';
import { emulatorClient, scratchDatabase } from '../support/emulator-database.js';

/**
 * The emulator never throttles, so these tests answer 429 for chosen operations themselves,
 * in front of the real `items.bulk`: the rest of each request reaches the emulator.
 */
let database: Database;
let container: Container;

beforeAll(async () => {
  database = await scratchDatabase('bulk');
  ({ container } = await database.containers.createIfNotExists({ id: 'bulk', partitionKey: { paths: ['/pk'] } }));
}, 60_000);
afterAll(() => database?.delete());

/** Which operations (by position in the call) one bulk call answers 429, and the wait it asks for (none: no hint). */
interface Throttle {
  positions: readonly number[];
  retryAfterMs?: number;
}

interface Call {
  operations: number;
  /** performance.now() when the call began and when its answer was handed back. */
  sentAt: number;
  answeredAt: number;
}

/**
 * The real container whose n-th `items.bulk` call answers as `throttles[n]` says: the throttled
 * operations are not sent (as the service does not apply them) and answer 429 in the shape the
 * service's JSON has; the others go to the emulator. Calls past the list go through untouched.
 */
function throttling(real: Container, throttles: readonly Throttle[], onCall: (call: number) => void = () => undefined): { container: Container; calls: Call[] } {
  const calls: Call[] = [];
  const bulk = async (operations: OperationInput[]): Promise<OperationResponse[]> => {
    const sentAt = performance.now();
    onCall(calls.length);
    const throttle = throttles[calls.length];
    const throttled = new Set(throttle?.positions ?? []);
    const sent = operations.filter((_, position) => !throttled.has(position));
    const results = sent.length > 0 ? [...(await real.items.bulk(sent))] : [];
    const answer = operations.map((_, position) =>
      throttled.has(position)
        ? ({ statusCode: 429, requestCharge: 0, ...(throttle?.retryAfterMs === undefined ? {} : { retryAfterMilliseconds: throttle.retryAfterMs }) } as OperationResponse)
        : (results.shift() as OperationResponse),
    );
    calls.push({ operations: operations.length, sentAt, answeredAt: performance.now() });
    return answer;
  };
  const items = new Proxy(real.items, { get: (target, property) => (property === 'bulk' ? bulk : Reflect.get(target, property, target)) });
  return { container: new Proxy(real, { get: (target, property) => (property === 'items' ? items : Reflect.get(target, property, target)) }), calls };
}

const creates = (prefix: string, count: number) => Array.from({ length: count }, (_, n) => createOperation({ id: `${prefix}-${n}`, pk: prefix }, prefix));
const stored = async (prefix: string) =>
  (await container.items.query<{ id: string }>({ query: 'SELECT c.id FROM c WHERE c.pk = @pk', parameters: [{ name: '@pk', value: prefix }] }).fetchAll()).resources.map(({ id }) => id).sort();
/** The pause between one call's answer and the next call (timers may fire a millisecond early against performance.now()). */
const pauseBefore = (calls: Call[], call: number) => (calls[call]?.sentAt ?? 0) - (calls[call - 1]?.answeredAt ?? 0) + 1;

describe('bulkStatuses: operations throttled by the service', () => {
  it('waits the retry-after the service gives a throttled operation, then sends only those operations again, which succeed (429 injected)', async () => {
    const HINT = 300;
    const { container: throttled, calls } = throttling(container, [{ positions: [1, 3], retryAfterMs: HINT }]);
    expect(await bulkStatuses(throttled, creates('hinted', 4), JOB_RETRY_BUDGET_MS)).toEqual([201, 201, 201, 201]);
    expect(calls.map(({ operations }) => operations)).toEqual([4, 2]);
    expect(pauseBefore(calls, 1)).toBeGreaterThanOrEqual(HINT);
    expect(await stored('hinted')).toEqual(['hinted-0', 'hinted-1', 'hinted-2', 'hinted-3']);
  });

  it('without a retry-after, backs off exponentially from 50 ms (429 injected)', async () => {
    const { container: throttled, calls } = throttling(container, [{ positions: [0] }, { positions: [0] }, { positions: [0] }]);
    expect(await bulkStatuses(throttled, creates('unhinted', 2), JOB_RETRY_BUDGET_MS)).toEqual([201, 201]);
    expect(calls.map(({ operations }) => operations)).toEqual([2, 1, 1, 1]);
    expect([1, 2, 3].map((call) => pauseBefore(calls, call) >= 50 * 2 ** (call - 1))).toEqual([true, true, true]);
    expect(await stored('unhinted')).toEqual(['unhinted-0', 'unhinted-1']);
  });

  it('in a job, outlasts throttling well past five attempts and 0.75 s, waiting each retry-after (429 injected)', async () => {
    const HINT = 250;
    const { container: throttled, calls } = throttling(container, Array.from({ length: 7 }, () => ({ positions: [0], retryAfterMs: HINT })));
    const started = performance.now();
    expect(await bulkStatuses(throttled, creates('sustained', 2), JOB_RETRY_BUDGET_MS)).toEqual([201, 201]);
    expect(calls).toHaveLength(8);
    expect(performance.now() - started).toBeGreaterThanOrEqual(7 * HINT - 7);
    expect(await stored('sustained')).toEqual(['sustained-0', 'sustained-1']);
  });

  it('on a request path, gives up within its 2 s budget, so the request answers 503 in its own time (429 injected)', async () => {
    const { container: throttled, calls } = throttling(container, Array.from({ length: 20 }, () => ({ positions: [0], retryAfterMs: 900 })));
    const started = performance.now();
    await expect(bulkWrite(throttled, creates('request', 2), created, REQUEST_RETRY_BUDGET_MS)).rejects.toMatchObject({ name: 'BulkOperationFailed', code: 429 });
    expect(performance.now() - started).toBeLessThan(REQUEST_RETRY_BUDGET_MS + 1_000);
    expect(calls.length).toBeLessThanOrEqual(3);
  });

  it('does not retry a request whose deadline has passed: the deadline is the answer, though the SDK rethrows it as a plain Error', async () => {
    const deadlines = new RequestDeadlines();
    const cut = emulatorClient([deadlines.plugin()]).database(database.id).container(container.id);
    await cut.items.bulk(creates('warm', 1)); // the client's caches, outside any request
    const started = performance.now();
    const outcome = deadlines.run(1, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return bulkStatuses(cut, creates('cut', 1), REQUEST_RETRY_BUDGET_MS);
    });
    await expect(outcome).rejects.toBeInstanceOf(DeadlineExceeded);
    // No back-off after the cut (50 + 100 + 200 + 400 ms before it gave up as 503).
    expect(performance.now() - started).toBeLessThan(300);
    expect(await stored('cut')).toEqual([]);
  });

  it('gives the service\'s wait to the failure a request answers 503 with, when the wait is longer than the request can give (429 injected)', async () => {
    const { container: throttled } = throttling(container, [{ positions: [0], retryAfterMs: 3_000 }]);
    await expect(bulkWrite(throttled, creates('hinted-failure', 1), created, REQUEST_RETRY_BUDGET_MS)).rejects.toMatchObject({ name: 'BulkOperationFailed', code: 429, retryAfterInMs: 3_000 });
  });

  it('reports an operation an earlier attempt wrote as written when a later attempt fails as a whole, and the rest 503 (429 and a failed request injected)', async () => {
    const { container: throttled, calls } = throttling(container, [{ positions: [1], retryAfterMs: 10 }]);
    const failing = new Proxy(throttled, {
      get: (target, property) =>
        property === 'items'
          ? new Proxy(target.items, {
              get: (items, name) => (name === 'bulk' ? (operations: OperationInput[]) => (calls.length === 0 ? items.bulk(operations) : Promise.reject(new Error('injected: connection reset'))) : Reflect.get(items, name, items)),
            })
          : Reflect.get(target, property, target),
    });
    expect(await bulkStatuses(failing, creates('half', 2), JOB_RETRY_BUDGET_MS)).toEqual([201, 503]);
    expect(await stored('half')).toEqual(['half-0']);
  });

  it('caps a long retry-after and gives up when the next wait would overrun the 30 s budget, so bulkWrite throws BulkOperationFailed(429) (429 injected)', async () => {
    // Only Date is faked, and it moves 15 s per call: the budget runs out after one real (capped) wait, not thirty seconds.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const hourLong = { positions: [0], retryAfterMs: 3_600_000 };
      const { container: throttled, calls } = throttling(container, Array.from({ length: 10 }, () => hourLong), () => vi.setSystemTime(Date.now() + 15_000));
      await expect(bulkWrite(throttled, creates('budget', 2), created, JOB_RETRY_BUDGET_MS)).rejects.toMatchObject({ name: 'BulkOperationFailed', code: 429 });
      expect(calls.map(({ operations }) => operations)).toEqual([2, 1]);
      expect(await stored('budget')).toEqual(['budget-1']);
    } finally {
      vi.useRealTimers();
    }
  }, 20_000);
});
