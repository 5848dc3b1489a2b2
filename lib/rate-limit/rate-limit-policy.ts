/**
 * A limit a route declares (`rateLimits` on its definition): at most `quota` calls per
 * window, counted per caller (the signed-in identity, or a keyed hash of the client address
 * for anonymous calls) or once for the whole platform. Counted in Cosmos DB, so every
 * instance of the app shares the count (lib/rate-limit/rate-limiter.ts).
 */
export interface RateLimitPolicy {
  /** Also the name in the RateLimit headers and in the RATE_LIMITS overrides. */
  name: string;
  quota: number;
  windowSeconds: number;
  per: 'caller' | 'platform';
}

export function defineRateLimit(policy: RateLimitPolicy): RateLimitPolicy {
  return policy;
}

export type RateLimitOverrides = Readonly<Record<string, { quota: number; windowSeconds: number }>>;

export function effectivePolicy(policy: RateLimitPolicy, overrides: RateLimitOverrides): RateLimitPolicy {
  return { ...policy, ...overrides[policy.name] };
}

/** One policy's state after a call: what is left in the window and when it resets. */
export interface RateLimitState {
  policy: RateLimitPolicy;
  remaining: number;
  resetSeconds: number;
}

/** The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers): the policies, and what is left of each. */
export function rateLimitHeaders(states: readonly RateLimitState[]): Record<string, string> {
  if (states.length === 0) return {};
  return {
    'RateLimit-Policy': states.map(({ policy }) => `"${policy.name}";q=${policy.quota};w=${policy.windowSeconds}`).join(', '),
    RateLimit: states.map(({ policy, remaining, resetSeconds }) => `"${policy.name}";r=${remaining};t=${resetSeconds}`).join(', '),
  };
}
