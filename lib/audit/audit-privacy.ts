import type { Container } from '@azure/cosmos';
import type { Clock } from '../clock.js';
import { queryAll } from '../paging/query-page.js';
import type { PrivacyProvider, PrivacySubject } from '../privacy/privacy-provider.js';
import { erasedActorPseudonym } from './audit-actor.js';

export const ERASED_ID = 'erased';

interface StoredEntry {
  id: string;
  municipalityId: string;
  month: string;
  actorId: string | null;
  targetIds: string[];
}

/** Every month from the subject's registration to now: the audit partitions that can name them. */
export function monthsSince(since: string | undefined, now: Date): string[] {
  const start = new Date(since ?? now.toISOString());
  const months: string[] = [];
  for (let cursor = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1)); cursor <= now; cursor.setUTCMonth(cursor.getUTCMonth() + 1)) {
    months.push(cursor.toISOString().slice(0, 7));
  }
  return months;
}

/**
 * P3/P16: the audit trail keeps the actions but no longer names the erased person: as a
 * target they become a placeholder, as an actor a stable keyed pseudonym (accountability
 * stays: one erased actor did these things), never a blank.
 */
export function auditPrivacyProvider(audit: Container, clock: Clock, digestKey: string): PrivacyProvider {
  const entriesNaming = async (subject: PrivacySubject) => {
    const found: StoredEntry[] = [];
    for (const month of monthsSince(subject.since, clock.now())) {
      found.push(...(await queryAll<StoredEntry>(
        audit,
        { where: 'c.actorId = @id OR ARRAY_CONTAINS(c.targetIds, @id)', parameters: [{ name: '@id', value: subject.id }] },
        [['municipalityId', subject.municipalityId], ['month', month]],
      )));
    }
    return found;
  };
  return {
    name: 'audit',
    locations: [{ kind: 'cosmos', container: 'audit', documentTypes: ['audit-entry'] }],
    categories: ['who read or changed which records (ids only)'],
    purpose: 'Accountability towards the controller: who read or changed what',
    retention: 'Kept; an erased target is replaced by a placeholder, an erased actor by a keyed pseudonym',
    subjects: ['student', 'user'],
    order: 90,
    async export(subject) {
      const entries = await entriesNaming(subject);
      return {
        provider: this.name,
        description: 'Audit entries that name the person (as actor or target)',
        items: entries.map(({ id, actorId, targetIds, month }) => ({ id, month, asActor: actorId === subject.id, asTarget: targetIds.includes(subject.id) })),
      };
    },
    async erase(subject) {
      const entries = await entriesNaming(subject);
      for (const entry of entries) {
        const redacted = {
          ...entry,
          actorId: entry.actorId === subject.id ? erasedActorPseudonym(digestKey, subject.municipalityId, subject.id) : entry.actorId,
          targetIds: entry.targetIds.map((id) => (id === subject.id ? ERASED_ID : id)),
        };
        await audit.item(entry.id, [entry.municipalityId, entry.month]).replace(redacted);
      }
      return entries.length;
    },
    async verify(subject) {
      return (await entriesNaming(subject)).map((entry) => `audit entry ${entry.id} still names the person`);
    },
  };
}
