import { defineFeature } from '../app/feature.js';
import { identityCallerKey } from '../http/caller-key.js';
import type { PrivacyProvider } from '../privacy/privacy-provider.js';
import { IdempotencyStore } from './idempotency-store.js';

/**
 * A stored response is a copy of what a POST answered (a created student, a receipt) kept
 * for a day so a retry gets it again. Erasure removes every copy that names the person, and
 * every response the person was sent.
 */
function idempotencyPrivacyProvider(store: IdempotencyStore): PrivacyProvider {
  const recordsOf = async (subject: { id: string; identity?: { issuer: string; subject: string } }) => {
    const records = [...(await store.mentioning(subject.id)), ...(subject.identity ? await store.ofCaller(identityCallerKey(subject.identity)) : [])];
    return [...new Map(records.map((record) => [`${record.pk}/${record.id}`, record])).values()];
  };
  return {
    name: 'idempotency',
    locations: [{ kind: 'cosmos', container: 'idempotency', documentTypes: ['idempotency-record'] }],
    categories: ['copies of POST responses (what was created, as the caller saw it)'],
    purpose: 'Answer a retried request with its first response instead of writing twice',
    retention: '24 hours, deleted by Cosmos DB time-to-live; erased with the person',
    subjects: ['student', 'user'],
    order: 7,
    async export(subject) {
      const records = await recordsOf(subject);
      return { provider: this.name, description: 'Responses kept for retries (24 hours)', items: records.map(({ expiresAt }) => ({ expiresAt })) };
    },
    async erase(subject) {
      let removed = 0;
      for (const record of await recordsOf(subject)) removed += await store.remove(record);
      return removed;
    },
    async verify(subject) {
      return (await recordsOf(subject)).length > 0 ? ['stored responses naming the person remain'] : [];
    },
  };
}

/** Idempotency-Key on every POST (lib/idempotency/idempotent-request.ts). */
export const idempotencyFeature = defineFeature({
  name: 'idempotency',
  services: ({ cosmos, clock, config }) => ({ idempotency: new IdempotencyStore(cosmos.containers.idempotency, clock, config.privacyDigestKey) }),
  privacyProviders: ({ idempotency }) => [idempotencyPrivacyProvider(idempotency)],
});
