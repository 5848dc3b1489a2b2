import type { Container } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { queryAll } from '../paging/query-page.js';
import type { PrivacyProvider, PrivacySubject } from '../privacy/privacy-provider.js';
import { blobNameOf, EXPIRY_PARTITION, type StoredExport } from './export-model.js';

/**
 * Exports (P14) are copies of a person's data: the blob holds everything every provider
 * exported, the index document names the subject and the data admin who asked for it.
 * Erasing the subject deletes their exports outright; erasing the data admin only removes
 * their name from the exports they requested.
 */
export function exportsPrivacyProvider(exports: Container, blobs: ContainerClient): PrivacyProvider {
  const naming = (subject: PrivacySubject) =>
    queryAll<StoredExport>(
      exports,
      { where: "c.type = 'export' AND (c.subjectId = @id OR c.requestedBy = @id)", parameters: [{ name: '@id', value: subject.id }] },
      [['municipalityId', subject.municipalityId]],
    );
  const about = (subject: PrivacySubject, record: StoredExport) => record.subjectType === subject.type && record.subjectId === subject.id;
  const deleteDocument = async (id: string, partitionKey: string) => {
    try {
      await exports.item(id, partitionKey).delete();
    } catch (error) {
      if (!isCosmosStatus(error, 404)) throw error;
    }
  };
  return {
    name: 'exports',
    locations: [
      { kind: 'cosmos', container: 'exports', documentTypes: ['export', 'export-due'] },
      { kind: 'blob', container: 'exports', prefix: '' },
    ],
    categories: ["copies of all the person's data made for an access request", 'which data admin requested an export'],
    purpose: "Give the person (through the controller) or a registered third party a copy of the person's data (P13, P14)",
    retention: '7 days after the export was made (job export-expiry and a storage lifecycle rule); erased with the person',
    subjects: ['student', 'user'],
    order: 30,
    async export(subject) {
      return {
        provider: this.name,
        description: "Exports of the person's data, and exports the person requested (metadata only)",
        items: (await naming(subject)).map((record) => ({
          id: record.id,
          role: about(subject, record) ? 'subject' : 'requested-by',
          format: record.format,
          recipient: record.recipient,
          status: record.status,
          createdAt: record.createdAt,
          expiresAt: record.expiresAt,
        })),
      };
    },
    async erase(subject) {
      const records = await naming(subject);
      for (const record of records) {
        if (!about(subject, record)) {
          await exports.item(record.id, record.municipalityId).replace({ ...record, requestedBy: null });
          continue;
        }
        // The file first, the document that finds it last: a retry after a crash still finds the file.
        await blobs.getBlockBlobClient(blobNameOf(record.municipalityId, record.id, record.format)).deleteIfExists();
        await deleteDocument(record.id, EXPIRY_PARTITION);
        await deleteDocument(record.id, record.municipalityId);
      }
      return records.length;
    },
    async verify(subject) {
      return (await naming(subject)).map((record) => `export ${record.id} still names the person`);
    },
  };
}
