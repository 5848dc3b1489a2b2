import type { Container } from '@azure/cosmos';
import { queryAll } from '../paging/query-page.js';
import type { PrivacyProvider } from '../privacy/privacy-provider.js';
import type { StoredErasure } from './erasure-model.js';

/**
 * Erasure records name no subject (keyed digests only) but do name the data admin who
 * instructed; while an instruction is being accepted, its record holds the ids still to
 * tombstone (cleared before any erasing starts, and verified gone).
 */
export function erasureRecordsPrivacyProvider(directory: Container): PrivacyProvider {
  const requestedBy = (municipalityId: string, userId: string) =>
    queryAll<StoredErasure>(directory, { where: "c.type = 'erasure' AND c.requestedBy = @user", parameters: [{ name: '@user', value: userId }] }, [['municipalityId', municipalityId]]);
  const stillToTombstone = (municipalityId: string, subjectId: string) =>
    queryAll<{ id: string }>(
      directory,
      { select: 'c.id', where: "c.type = 'erasure' AND ARRAY_CONTAINS(c.tombstonesPending, @subject)", parameters: [{ name: '@subject', value: subjectId }] },
      [['municipalityId', municipalityId]],
    );
  return {
    name: 'erasure-instructions',
    locations: [{ kind: 'cosmos', container: 'directory', documentTypes: ['erasure'] }],
    categories: ['which data admin gave an erasure instruction (user id)'],
    purpose: 'Proof that every erasure followed an instruction of the controller (P16)',
    retention: 'Kept; the instructing admin is replaced by null when they are erased',
    subjects: ['student', 'user'],
    order: 80,
    async export(subject) {
      const records = subject.type === 'user' ? await requestedBy(subject.municipalityId, subject.id) : [];
      return { provider: this.name, description: 'Erasure instructions this person gave', items: records.map(({ id, instructionReference, createdAt }) => ({ id, instructionReference, createdAt })) };
    },
    async erase(subject) {
      if (subject.type !== 'user') return 0;
      const records = await requestedBy(subject.municipalityId, subject.id);
      // A patch, not a replace: the erasure may be running, and a replace of this copy would put
      // back what its orchestration has since changed (its name phrases, its status).
      for (const record of records) await directory.item(record.id, record.municipalityId).patch([{ op: 'set', path: '/requestedBy', value: null }]);
      return records.length;
    },
    async verify(subject) {
      const named = subject.type === 'user' ? await requestedBy(subject.municipalityId, subject.id) : [];
      const pending = await stillToTombstone(subject.municipalityId, subject.id);
      return [
        ...named.map((record) => `erasure ${record.id} still names the person`),
        ...pending.map((record) => `erasure ${record.id} still lists the subject to tombstone`),
      ];
    },
  };
}

/** The outbox of accepted erasures: ids of erasures and municipalities, times; no subject. */
export function erasureOutboxPrivacyProvider(): PrivacyProvider {
  return {
    name: 'erasure-outbox',
    locations: [{ kind: 'cosmos', container: 'jobs', documentTypes: ['erasure-outbox'] }],
    categories: [],
    purpose: 'Finding accepted erasures that are not completed, so that each one is resumed until it is (P3)',
    retention: 'Until the erasure completes',
    subjects: [],
    export: async () => ({ provider: 'erasure-outbox', description: 'Holds no personal data', items: [] }),
    erase: async () => 0,
    verify: async () => [],
  };
}
