import type { Container } from '@azure/cosmos';
import { queryAll } from '../paging/query-page.js';
import type { PrivacyProvider } from '../privacy/privacy-provider.js';
import type { StoredErasure } from './erasure-model.js';

/** Erasure records name no subject (keyed digests only) but do name the data admin who instructed. */
export function erasureRecordsPrivacyProvider(directory: Container): PrivacyProvider {
  const requestedBy = (municipalityId: string, userId: string) =>
    queryAll<StoredErasure>(directory, { where: "c.type = 'erasure' AND c.requestedBy = @user", parameters: [{ name: '@user', value: userId }] }, [['municipalityId', municipalityId]]);
  return {
    name: 'erasure-instructions',
    locations: [{ kind: 'cosmos', container: 'directory', documentTypes: ['erasure'] }],
    categories: ['which data admin gave an erasure instruction (user id)'],
    purpose: 'Proof that every erasure followed an instruction of the controller (P16)',
    retention: 'Kept; the instructing admin is replaced by null when they are erased',
    subjects: ['user'],
    order: 80,
    async export(subject) {
      const records = await requestedBy(subject.municipalityId, subject.id);
      return { provider: this.name, description: 'Erasure instructions this person gave', items: records.map(({ id, instructionReference, createdAt }) => ({ id, instructionReference, createdAt })) };
    },
    async erase(subject) {
      const records = await requestedBy(subject.municipalityId, subject.id);
      for (const record of records) await directory.item(record.id, record.municipalityId).replace({ ...record, requestedBy: null });
      return records.length;
    },
    async verify(subject) {
      return (await requestedBy(subject.municipalityId, subject.id)).map((record) => `erasure ${record.id} still names the person`);
    },
  };
}
