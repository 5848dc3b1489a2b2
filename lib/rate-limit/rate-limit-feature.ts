import { defineFeature } from '../app/feature.js';
import { identityCallerKey } from '../http/caller-key.js';
import type { PrivacyProvider } from '../privacy/privacy-provider.js';
import type { Services } from '../services.js';
import { RateLimiter } from './rate-limiter.js';

/** Every limit the routes declare: the counters a person can have are these. */
function declaredPolicies(services: Services) {
  return services.apiRoutes.flatMap((route) => route.rateLimits ?? []);
}

/**
 * Rate counters name a caller only through a keyed digest of their identity or address, and
 * live two windows at most (a day for the longest limit). A user's own are still found and
 * removed on erasure; an address's cannot be tied to a person and simply expire.
 */
function rateLimitPrivacyProvider(services: Services): PrivacyProvider {
  return {
    name: 'rate-limits',
    locations: [{ kind: 'cosmos', container: 'rate-limits', documentTypes: ['rate-counter'] }],
    categories: ['how many limited calls an identity or client address made in the current window (keyed digest, no identifier)'],
    purpose: 'Keep public and low-privilege writes from being flooded (security of processing)',
    retention: 'Two windows of the limit (at most two days), deleted by Cosmos DB time-to-live',
    subjects: ['user'],
    unlinkedSubjects: 'Counters of anonymous callers are keyed by a digest of the client address, which no account links to; they expire with the window',
    order: 6,
    async export(subject) {
      const items = subject.identity ? await services.rateLimits.countersOf(declaredPolicies(services), identityCallerKey(subject.identity)) : [];
      return { provider: this.name, description: 'Calls counted against rate limits in the current windows', items: items.map(({ id, count }) => ({ window: id, count })) };
    },
    erase: async (subject) => (subject.identity ? services.rateLimits.forget(declaredPolicies(services), identityCallerKey(subject.identity)) : 0),
    async verify(subject) {
      if (!subject.identity) return [];
      return (await services.rateLimits.countersOf(declaredPolicies(services), identityCallerKey(subject.identity))).length > 0 ? ['rate counters of the identity remain'] : [];
    },
  };
}

/** Limits on public and low-privilege writes, shared by every instance (lib/rate-limit/rate-limiter.ts). */
export const rateLimitFeature = defineFeature({
  name: 'rate-limits',
  services: ({ cosmos, clock, config }) => ({
    rateLimits: new RateLimiter(cosmos.containers.rateLimits, clock, config.privacyDigestKey, config.rateLimitOverrides),
  }),
  privacyProviders: (services) => [rateLimitPrivacyProvider(services)],
});
