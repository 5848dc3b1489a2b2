import type { Container } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import { erasedActorPseudonym } from '../audit/audit-actor.js';
import type { Clock } from '../clock.js';
import { queryAll } from '../paging/query-page.js';
import type { PrivacyProvider, PrivacySubject } from '../privacy/privacy-provider.js';
import { batchMayPrecede } from './roster-erased-writes.js';
import { ACTIVE_STATUSES, type StoredRosterImport } from './roster-import-model.js';
import { ROSTER_UPLOADS_CONTAINER } from './roster-uploads.js';

/**
 * Roster imports keep two things: the run (counts, rejected rows by file, line, column and
 * reason — never a value from the file — and which admin started it), and, while a run is
 * under way, the uploaded zip and its planned batches in Blob Storage, which hold the names and
 * birth dates of everyone in the roster. Those files are transient: deleted when the import
 * finishes; erasing anyone of the municipality deletes every one not in use by a running import
 * (a zip cannot be edited to leave one person out).
 */
export function rosterImportPrivacyProvider(directory: Container, containers: readonly ContainerClient[], clock: Clock, digestKey: string): PrivacyProvider {
  // Uploads and batches may share an account (locally they do): each container is listed once.
  const fileContainers = [...new Map(containers.map((container) => [container.url, container])).values()];
  const requestedBy = (subject: PrivacySubject) =>
    subject.type !== 'user'
      ? Promise.resolve([])
      : queryAll<StoredRosterImport>(directory, { where: "c.type = 'roster-import' AND c.requestedBy = @id", parameters: [{ name: '@id', value: subject.id }] }, [['municipalityId', subject.municipalityId]]);
  const idleFiles = async (municipalityId: string): Promise<{ container: ContainerClient; name: string }[]> => {
    const active = await queryAll<Pick<StoredRosterImport, 'id' | 'blob'>>(
      directory,
      { select: 'c.id, c.blob', where: "c.type = 'roster-import' AND ARRAY_CONTAINS(@active, c.status)", parameters: [{ name: '@active', value: [...ACTIVE_STATUSES] }] },
      [['municipalityId', municipalityId]],
    );
    const inUse = (name: string) => active.some((run) => name === run.blob || name.startsWith(`${municipalityId}/runs/${run.id}/`));
    const files: { container: ContainerClient; name: string }[] = [];
    for (const container of fileContainers) {
      for await (const blob of container.listBlobsFlat({ prefix: `${municipalityId}/` })) if (!inUse(blob.name)) files.push({ container, name: blob.name });
    }
    return files;
  };
  return {
    name: 'roster-import',
    locations: [
      { kind: 'cosmos', container: 'directory', documentTypes: ['roster-import', 'roster-import-lock'] },
      { kind: 'blob', container: ROSTER_UPLOADS_CONTAINER, prefix: '' },
    ],
    categories: ['which admin started a roster import', "the school system's roster while it is imported (names, birth dates, year levels, classes, logins and emails of staff)"],
    purpose: 'Keep the directory in step with the school administration system the controller names (P2)',
    retention:
      'Uploaded rosters and planned batches: until the import finishes (a dry run keeps its upload for the real import), at most 1 day after they were written when left behind (an upload never imported, a failed run never resumed); runs: while the municipality uses the service, the admin who started one replaced by a keyed pseudonym when erased',
    subjects: ['student', 'user'],
    order: 30,
    async export(subject) {
      return {
        provider: this.name,
        description: 'Roster imports the person started',
        items: (await requestedBy(subject)).map((run) => ({ id: run.id, mode: run.mode, dryRun: run.dryRun, status: run.status, createdAt: run.createdAt })),
      };
    },
    async writesInFlight(municipalityId, acceptedAt) {
      const applying = await queryAll<Pick<StoredRosterImport, 'batchesInFlight'>>(
        directory,
        { select: 'c.batchesInFlight', where: "c.type = 'roster-import' AND c.status = 'applying' AND IS_DEFINED(c.batchesInFlight)" },
        [['municipalityId', municipalityId]],
      );
      const now = clock.now();
      return applying.some(({ batchesInFlight }) => (batchesInFlight ?? []).some((batch) => batchMayPrecede(batch, acceptedAt, now)));
    },
    async erase(subject) {
      let erased = 0;
      for (const run of await requestedBy(subject)) {
        // A patch of the one field: a replace from this copy would undo the progress a running import wrote since.
        // The audit's pseudonym of the erased actor, not a blank: the run's later batches are audited under it.
        await directory.item(run.id, run.municipalityId).patch([{ op: 'set', path: '/requestedBy', value: erasedActorPseudonym(digestKey, subject.municipalityId, subject.id) }]);
        erased += 1;
      }
      for (const { container, name } of await idleFiles(subject.municipalityId)) {
        await container.getBlobClient(name).deleteIfExists();
        erased += 1;
      }
      return erased;
    },
    async verify(subject) {
      const runs = await requestedBy(subject);
      const files = await idleFiles(subject.municipalityId);
      return [...runs.map((run) => `roster import ${run.id} names the person`), ...(files.length > 0 ? [`${files.length} roster file(s) not in use`] : [])];
    },
  };
}
