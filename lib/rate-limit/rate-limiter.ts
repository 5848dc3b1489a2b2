import type { Container, PatchOperation } from '@azure/cosmos';
import type { Clock } from '../clock.js';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { deleteIfPresent } from '../data/documents.js';
import { HttpProblem } from '../http/problem.js';
import { keyedDigest } from '../privacy/keyed-digest.js';
import { effectivePolicy, rateLimitHeaders, type RateLimitOverrides, type RateLimitPolicy, type RateLimitState } from './rate-limit-policy.js';

interface RateCounter {
  id: string;
  pk: string;
  type: 'rate-counter';
  count: number;
  /** Seconds: Cosmos DB deletes the counter two windows after it was created. */
  ttl: number;
}

const INCREMENT: PatchOperation[] = [{ op: 'incr', path: '/count', value: 1 }];

/**
 * Fixed-window counters in Cosmos DB, one document per limit, subject and window: one
 * write per limited call (an atomic increment; a create the first time in a window). The
 * subject is stored only as a keyed digest, per limit, so counters name nobody and cannot
 * be joined across limits. A fixed window lets a caller spend two quotas across one window
 * boundary; the limits are sized with that in mind (docs/architecture.md).
 */
export class RateLimiter {
  constructor(
    private readonly counters: Container,
    private readonly clock: Clock,
    private readonly digestKey: string,
    private readonly overrides: RateLimitOverrides,
  ) {}

  /**
   * Counts one call against each policy, in order; the first one exhausted refuses the call
   * (429) and the policies after it are not charged. Returns the state of each for the
   * RateLimit headers of the success.
   */
  async consume(policies: readonly RateLimitPolicy[], caller: string): Promise<Record<string, string>> {
    const states: RateLimitState[] = [];
    for (const declared of policies) {
      const policy = effectivePolicy(declared, this.overrides);
      const state = await this.count(policy, caller);
      if (state.remaining < 0) throw rateLimited({ ...state, remaining: 0 }, [...states, { ...state, remaining: 0 }]);
      states.push(state);
    }
    return rateLimitHeaders(states);
  }

  /** The counters of one caller, for each caller-scoped limit (export and erasure of a person). */
  async countersOf(policies: readonly RateLimitPolicy[], caller: string): Promise<{ id: string; pk: string; count: number }[]> {
    const found: { id: string; pk: string; count: number }[] = [];
    for (const policy of uniqueCallerPolicies(policies)) {
      const pk = this.partitionOf(policy, caller);
      const { resources } = await this.counters.items
        .query<{ id: string; pk: string; count: number }>({ query: 'SELECT c.id, c.pk, c.count FROM c WHERE c.pk = @pk', parameters: [{ name: '@pk', value: pk }] }, { partitionKey: pk })
        .fetchAll();
      found.push(...resources);
    }
    return found;
  }

  async forget(policies: readonly RateLimitPolicy[], caller: string): Promise<number> {
    let removed = 0;
    for (const counter of await this.countersOf(policies, caller)) removed += await deleteIfPresent(this.counters, counter.id, counter.pk);
    return removed;
  }

  private async count(policy: RateLimitPolicy, caller: string): Promise<RateLimitState> {
    const nowSeconds = Math.floor(this.clock.now().getTime() / 1000);
    const window = Math.floor(nowSeconds / policy.windowSeconds);
    const resetSeconds = (window + 1) * policy.windowSeconds - nowSeconds;
    const id = String(window);
    const pk = this.partitionOf(policy, caller);
    const count = await this.increment(id, pk, policy.windowSeconds * 2);
    return { policy, remaining: policy.quota - count, resetSeconds };
  }

  private partitionOf(policy: RateLimitPolicy, caller: string): string {
    if (policy.per === 'platform') return `platform:${policy.name}`;
    return `${policy.name}:${keyedDigest(this.digestKey, `rate-limit:${policy.name}:${caller}`)}`;
  }

  /** The count after this call: an atomic increment, or the window's first call. */
  private async increment(id: string, pk: string, ttl: number): Promise<number> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const { resource } = await this.counters.item(id, pk).patch<RateCounter>(INCREMENT);
        return resource?.count ?? 1;
      } catch (error) {
        if (!isCosmosStatus(error, 404)) throw error;
      }
      try {
        const counter: RateCounter = { id, pk, type: 'rate-counter', count: 1, ttl };
        await this.counters.items.create(counter);
        return 1;
      } catch (error) {
        // Another instance opened the window first: increment theirs.
        if (!isCosmosStatus(error, 409)) throw error;
      }
    }
    throw new Error('a rate counter could not be created or incremented');
  }
}

function uniqueCallerPolicies(policies: readonly RateLimitPolicy[]): RateLimitPolicy[] {
  return [...new Map(policies.filter((policy) => policy.per === 'caller').map((policy) => [policy.name, policy])).values()];
}

function rateLimited(exhausted: RateLimitState, states: RateLimitState[]): HttpProblem {
  const { policy, resetSeconds } = exhausted;
  return new HttpProblem(
    429,
    'rate-limited',
    'Too many requests',
    `The limit "${policy.name}" allows ${policy.quota} per ${policy.windowSeconds} s; retry after ${resetSeconds} s`,
    {},
    { 'Retry-After': String(resetSeconds), ...rateLimitHeaders(states) },
  );
}
