import { addDays, dayOf } from '../usage/retention-policy.js';
import { CLOSED_AFTER_DAYS, type ReportVersion, type StoredLeaverReport } from './leaver-report-model.js';
import type { ReportIndex } from './report-index.js';

/** What `claim` found: ours to write, ours and already published (a retry), or a newer request's. */
export type Claim = 'write' | 'published' | 'superseded';

/** What `publish` did: replaced an earlier version (whose blobs the caller deletes), published the first, or could not. */
export type Publication = { replaced: ReportVersion | null } | 'gone' | 'superseded';

/** Whether `a` was requested after `b` (ties broken by version, so two runs agree). */
const newer = (a: ReportVersion, b: ReportVersion) => a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.version > b.version);

/**
 * One report per student and school year, whose version changes in one conditional write.
 *
 * A request claims the entry before any blob is written: a new entry in state `writing`, or
 * its version as `pending` beside the one readers see. Its blobs go under its own version's
 * name, then `publish` makes it the current version (only if the entry is still as read), and
 * the caller deletes the blobs of the version it replaced. A reader therefore finds either
 * the old complete report or the new complete one. A crash in between leaves at most blobs
 * no entry points at, which the repair pass removes once their creation day is closed; a
 * version of a closed day is never published, because those blobs may already be gone.
 * When two requests overlap, the later one wins; the earlier finds itself superseded.
 */
export class ReportVersions {
  constructor(
    private readonly index: ReportIndex,
    private readonly now: () => Date,
  ) {}

  async claim(entry: Pick<StoredLeaverReport, 'id' | 'municipalityId' | 'studentId' | 'schoolYear'>, mine: ReportVersion): Promise<Claim> {
    for (;;) {
      const found = await this.index.findVersioned(entry.municipalityId, entry.id);
      if (!found) {
        const created = await this.index.create({ ...entry, type: 'leaver-report', ...mine, state: 'writing', bytes: null, pending: null });
        if (created) return 'write';
        continue;
      }
      const current = found.value;
      if (current.version === mine.version) return current.state === 'ready' ? 'published' : 'write';
      if (current.pending?.version === mine.version) return 'write';
      if (newer(current, mine) || (current.pending && newer(current.pending, mine))) return 'superseded';
      // An unfinished first version is taken over; a published one gets ours beside it.
      const next: StoredLeaverReport = current.state === 'writing' ? { ...current, ...mine } : { ...current, pending: mine };
      if (await this.index.replaceIf(next, found.etag)) return 'write';
    }
  }

  async publish(municipalityId: string, id: string, version: string, bytes: { pdf: number; json: number }): Promise<Publication> {
    for (;;) {
      const found = await this.index.findVersioned(municipalityId, id);
      if (!found) return 'gone';
      const current = found.value;
      if (current.version === version) {
        if (current.state === 'ready') return { replaced: null };
        if (await this.index.replaceIf({ ...current, state: 'ready', bytes }, found.etag)) return { replaced: null };
        continue;
      }
      const pending = current.pending;
      if (pending?.version !== version || this.closed(pending)) return 'superseded';
      const replaced: ReportVersion = { version: current.version, runId: current.runId, schoolId: current.schoolId, createdAt: current.createdAt, expiresAt: current.expiresAt };
      if (await this.index.replaceIf({ ...current, ...pending, state: 'ready', bytes, pending: null }, found.etag)) return { replaced };
    }
  }

  /** Takes a claim back (the student no longer fits): a first version's entry goes, a pending version is cleared. */
  async withdraw(municipalityId: string, id: string, version: string): Promise<void> {
    for (;;) {
      const found = await this.index.findVersioned(municipalityId, id);
      if (!found) return;
      const current = found.value;
      if (current.version === version && current.state === 'writing') {
        if (await this.index.deleteIf(municipalityId, id, found.etag)) return;
      } else if (current.pending?.version === version) {
        if (await this.index.replaceIf({ ...current, pending: null }, found.etag)) return;
      } else {
        return;
      }
    }
  }

  private closed(version: ReportVersion): boolean {
    return addDays(dayOf(new Date(version.createdAt)), CLOSED_AFTER_DAYS) <= dayOf(this.now());
  }
}
