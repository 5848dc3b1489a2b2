import type { Container } from '@azure/cosmos';
import { queryAll } from '../paging/query-page.js';
import type { PrivacyProvider, PrivacySubject } from '../privacy/privacy-provider.js';
import type { StoredDisclosure } from './disclosure-model.js';

export const ERASED_SUBJECT = 'erased';

/**
 * The disclosure register names the people whose data was disclosed and the data admin who
 * registered it. A subject's access export shows who received their data (GDPR art. 15(1)(c));
 * erasure keeps the entry (the controller's accountability) but no longer names the person.
 */
export function disclosuresPrivacyProvider(exports: Container): PrivacyProvider {
  const naming = (subject: PrivacySubject) =>
    queryAll<StoredDisclosure>(
      exports,
      { where: "c.type = 'disclosure' AND (ARRAY_CONTAINS(c.subjectIds, @id) OR c.registeredBy = @id)", parameters: [{ name: '@id', value: subject.id }] },
      [['municipalityId', subject.municipalityId]],
    );
  return {
    name: 'disclosures',
    locations: [{ kind: 'cosmos', container: 'exports', documentTypes: ['disclosure'] }],
    categories: ["disclosures of the person's data to third parties: recipient, legal basis, data categories, when", 'which data admin registered a disclosure'],
    purpose: 'The register of disclosures to third parties (P13)',
    retention: "Kept as the controller's record; an erased person is replaced by a placeholder",
    subjects: ['student', 'user'],
    order: 40,
    async export(subject) {
      return {
        provider: this.name,
        description: "Disclosures of the person's data to third parties, and disclosures the person registered",
        items: (await naming(subject)).map(({ id, recipient, basis, reference, dataCategories, disclosedAt, subjectIds }) => ({
          id,
          recipient,
          basis,
          reference,
          dataCategories,
          disclosedAt,
          role: subjectIds.includes(subject.id) ? 'subject' : 'registered-by',
        })),
      };
    },
    async erase(subject) {
      const entries = await naming(subject);
      for (const entry of entries) {
        const redacted: StoredDisclosure = {
          ...entry,
          subjectIds: entry.subjectIds.map((id) => (id === subject.id ? ERASED_SUBJECT : id)),
          registeredBy: entry.registeredBy === subject.id ? null : entry.registeredBy,
        };
        await exports.item(entry.id, entry.municipalityId).replace(redacted);
      }
      return entries.length;
    },
    async verify(subject) {
      return (await naming(subject)).map((entry) => `disclosure ${entry.id} still names the person`);
    },
  };
}
