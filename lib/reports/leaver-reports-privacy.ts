import type { PrivacyProvider } from '../privacy/privacy-provider.js';
import { bulkWrite, deleted, deleteOperation, JOB_RETRY_BUDGET_MS } from '../usage/bulk.js';
import { blobNamesOf, LEAVER_REPORT_BLOB_CONTAINER } from './leaver-report-model.js';
import type { ReportBlobs } from './report-blobs.js';
import type { ReportIndex } from './report-index.js';

/** What stands in a run's selection for a student who was erased while it ran: positions stay, the id goes. */
const ERASED = 'erased';

/**
 * P4 leaver reports: the PDF and JSON documents (name, birth date, results) in Blob Storage
 * and their index entries, plus the generation runs (selection while running, requester).
 * Erasing a student deletes their reports at once, blobs before entries, so a retry after
 * a crash still finds the blobs through the entries.
 */
export function leaverReportsPrivacyProvider(index: ReportIndex, blobs: ReportBlobs): PrivacyProvider {
  return {
    name: 'leaver-reports',
    locations: [
      { kind: 'cosmos', container: 'reports', documentTypes: ['leaver-report', 'leaver-report-run'] },
      { kind: 'blob', container: LEAVER_REPORT_BLOB_CONTAINER, prefix: '{municipalityId}/' },
    ],
    categories: ['leaver report: name, birth date, school, screening tests, evaluations and grades', 'who requested a report run (staff id)'],
    purpose: 'A report for each student leaving school, archived for the school (P4)',
    retention: "At most 12 months after creation, shorter if the controller's setting says so; removed at once when the student is erased",
    subjects: ['student', 'user'],
    order: 10,
    async export(subject) {
      if (subject.type === 'student') {
        const reports = await index.ofStudent(subject.municipalityId, subject.id);
        return {
          provider: this.name,
          description: "The student's leaver reports (the documents are downloadable while they exist)",
          items: reports.map((report) => ({ reportId: report.id, schoolId: report.schoolId, schoolYear: report.schoolYear, createdAt: report.createdAt, expiresAt: report.expiresAt })),
        };
      }
      const runs = await index.runsRequestedBy(subject.municipalityId, subject.id);
      return { provider: this.name, description: 'Leaver report runs this person requested (ids only)', items: runs.map((run) => ({ runId: run.id, createdAt: run.createdAt })) };
    },
    async erase(subject) {
      if (subject.type === 'user') {
        const runs = await index.runsRequestedBy(subject.municipalityId, subject.id);
        for (const run of runs) await index.patchRun(subject.municipalityId, run.id, [{ op: 'set', path: '/requestedBy', value: null }]);
        return runs.length;
      }
      const reports = await index.ofStudent(subject.municipalityId, subject.id);
      await blobs.deleteAll(reports.flatMap(blobNamesOf));
      await bulkWrite(index.container, reports.map((report) => deleteOperation(report.id, subject.municipalityId)), deleted, JOB_RETRY_BUDGET_MS);
      const runs = await index.runsListing(subject.municipalityId, subject.id);
      for (const run of runs) {
        const studentIds = run.studentIds.map((id) => (id === subject.id ? ERASED : id));
        await index.patchRun(subject.municipalityId, run.id, [{ op: 'set', path: '/studentIds', value: studentIds }]);
      }
      return reports.length + runs.length;
    },
    async verify(subject) {
      if (subject.type === 'user') {
        return (await index.runsRequestedBy(subject.municipalityId, subject.id)).map((run) => `leaver report run ${run.id} still names its requester`);
      }
      const leftovers = (await index.ofStudent(subject.municipalityId, subject.id)).map((report) => `leaver report ${report.id} still exists`);
      for (const run of await index.runsListing(subject.municipalityId, subject.id)) leftovers.push(`leaver report run ${run.id} still lists the student`);
      return leftovers;
    },
  };
}
