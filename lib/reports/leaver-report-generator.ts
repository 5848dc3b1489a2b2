import type { Container } from '@azure/cosmos';
import type { Clock } from '../clock.js';
import type { SchoolStore, StoredSchool } from '../directory/schools.js';
import type { StoredStudent, StudentStore } from '../directory/students.js';
import { queryAll } from '../paging/query-page.js';
import type { Municipality, MunicipalityRegistry } from '../platform/municipalities.js';
import type { StoredRecord } from '../records/record-store.js';
import {
  blobNameOf,
  CONTENT_TYPES,
  leaverYearLevelsOf,
  MAX_STUDENTS_PER_RUN,
  REPORT_FORMATS,
  reportIdOf,
  versionIdOf,
  type ReportVersion,
  type StoredGenerationRun,
  type StoredRunWarning,
} from './leaver-report-model.js';
import type { ReportBlobs } from './report-blobs.js';
import { buildReportContent } from './report-content.js';
import type { ReportIndex } from './report-index.js';
import type { ReportVersions } from './report-versions.js';
import { renderReportPdf } from './report-pdf.js';
import { deadlineOf } from './retention.js';
import { schoolYearContains, schoolYearDays } from './school-year.js';

/** Students per batch activity: about a second of work, small enough to retry whole. */
export const STUDENTS_PER_BATCH = 10;

// Activity inputs and outputs: ids and counts only.
export interface GenerationInput {
  runId: string;
  municipalityId: string;
}
export interface GenerationPlan {
  students: number;
}
export interface GenerationBatchInput extends GenerationInput {
  batch: number;
}
export interface GenerationBatchResult {
  skipped: number;
  warnings: StoredRunWarning[];
}
export interface GenerationFinishInput extends GenerationInput {
  skipped: number;
  warnings: StoredRunWarning[];
  /** Batches whose retries ran out. */
  failedBatches: number;
}

export interface GeneratorDependencies {
  index: ReportIndex;
  versions: ReportVersions;
  blobs: ReportBlobs;
  students: StudentStore;
  schools: SchoolStore;
  municipalities: MunicipalityRegistry;
  records: Container;
  /** Keys the report ids, which stay in run warnings after the student is erased. */
  digestKey: string;
  clock: Clock;
}

/**
 * The work of a generation run, one method per activity. Each step can be repeated: a
 * report's id comes from the student and the school year, its version from the run and the
 * student, its creation time is the run's, so a retry finds its claim on the index entry and
 * overwrites the same two blobs.
 */
export class LeaverReportGenerator {
  constructor(private readonly deps: GeneratorDependencies) {}

  /** Fixes the run's selection (every leaver of the school, when none were named) and marks it running. */
  async plan(input: GenerationInput): Promise<GenerationPlan> {
    const run = await this.run(input);
    const now = this.deps.clock.now().toISOString();
    if (run.requested !== null) {
      await this.deps.index.patchRun(input.municipalityId, input.runId, [{ op: 'set', path: '/status', value: 'running' }, { op: 'set', path: '/updatedAt', value: now }]);
      return { students: run.requested };
    }
    const ids = await this.leaversOf(run);
    if (ids.length > MAX_STUDENTS_PER_RUN) throw new Error(`more than ${MAX_STUDENTS_PER_RUN} leavers at one school`);
    await this.deps.index.patchRun(input.municipalityId, input.runId, [
      { op: 'set', path: '/studentIds', value: ids },
      { op: 'set', path: '/requested', value: ids.length },
      { op: 'set', path: '/status', value: 'running' },
      { op: 'set', path: '/updatedAt', value: now },
    ]);
    return { students: ids.length };
  }

  async batch(input: GenerationBatchInput): Promise<GenerationBatchResult> {
    const run = await this.run(input);
    const school = (await this.deps.schools.get(run.municipalityId, run.schoolId)).value;
    const municipality = await this.deps.municipalities.get(run.municipalityId);
    const result: GenerationBatchResult = { skipped: 0, warnings: [] };
    for (const studentId of run.studentIds.slice(input.batch * STUDENTS_PER_BATCH, (input.batch + 1) * STUDENTS_PER_BATCH)) {
      const outcome = await this.generate(run, { school, municipality }, studentId);
      if (outcome === 'skipped') result.skipped += 1;
      else if (outcome.warning) result.warnings.push(outcome.warning);
    }
    return result;
  }

  /** Outcome from the stored truth: reports ready, students skipped, the rest failed. The selection goes. */
  async finish(input: GenerationFinishInput): Promise<void> {
    const run = await this.run(input);
    const generated = await this.deps.index.countReady(input.municipalityId, input.runId);
    const failed = Math.max(0, (run.requested ?? 0) - generated - input.skipped);
    const now = this.deps.clock.now().toISOString();
    await this.deps.index.patchRun(input.municipalityId, input.runId, [
      { op: 'set', path: '/status', value: failed > 0 || input.failedBatches > 0 ? 'failed' : 'completed' },
      { op: 'set', path: '/generated', value: generated },
      { op: 'set', path: '/skipped', value: input.skipped },
      { op: 'set', path: '/failed', value: failed },
      { op: 'set', path: '/warnings', value: input.warnings },
      { op: 'set', path: '/studentIds', value: [] },
      { op: 'set', path: '/updatedAt', value: now },
      { op: 'set', path: '/finishedAt', value: now },
    ]);
  }

  /**
   * One report. The index entry is claimed first (see `ReportVersions`), the student is read
   * after it: an erasure that tombstones the student later finds the entry and deletes the
   * blobs through it, and one that came earlier makes this read find nobody. Skipped when
   * the student is no longer a leaver of the school who left in the run's school year (or
   * was erased), or when a newer request for the same student and year overtook this one.
   */
  private async generate(run: StoredGenerationRun, issuer: { school: StoredSchool; municipality: Municipality }, studentId: string): Promise<'skipped' | { warning?: StoredRunWarning }> {
    const { blobs, versions } = this.deps;
    const { municipalityId } = run;
    const id = reportIdOf(this.deps.digestKey, studentId, run.schoolYear);
    const mine: ReportVersion = {
      version: versionIdOf(this.deps.digestKey, run.id, studentId),
      runId: run.id,
      schoolId: run.schoolId,
      createdAt: run.createdAt,
      expiresAt: deadlineOf(new Date(run.createdAt), run.retentionMonths).toISOString(),
    };
    const claim = await versions.claim({ id, municipalityId, studentId, schoolYear: run.schoolYear }, mine);
    if (claim === 'superseded') return 'skipped';
    const student = await this.deps.students.find(municipalityId, studentId);
    // A retried batch: the report is made, the warning is worked out again.
    if (claim === 'published') return student ? warningOf(run, id, student.value) : {};
    if (!student || !leftInYear(student.value, run)) {
      await versions.withdraw(municipalityId, id, mine.version);
      return 'skipped';
    }
    const records = await queryAll<StoredRecord>(this.deps.records, {}, [['municipalityId', municipalityId], ['studentId', studentId]]);
    const content = buildReportContent({ reportId: id, schoolYear: run.schoolYear, createdAt: mine.createdAt, ...issuer, student: student.value, records });
    const json = Buffer.from(JSON.stringify(content, null, 2), 'utf8');
    const pdf = await renderReportPdf(content);
    const names = REPORT_FORMATS.map((format) => blobNameOf({ ...mine, municipalityId }, format));
    const [pdfName, jsonName] = names as [string, string];
    await blobs.upload(pdfName, pdf, CONTENT_TYPES.pdf, { runid: run.id });
    await blobs.upload(jsonName, json, CONTENT_TYPES.json, { runid: run.id });
    const published = await versions.publish(municipalityId, id, mine.version, { pdf: pdf.length, json: json.length });
    if (typeof published === 'string') {
      // The entry went while the blobs were written (the student's erasure), or a newer request took it: take them back.
      await blobs.deleteAll(names);
      return 'skipped';
    }
    if (published.replaced) await blobs.deleteAll(REPORT_FORMATS.map((format) => blobNameOf({ ...published.replaced!, municipalityId }, format)));
    return warningOf(run, id, student.value);
  }

  private async leaversOf(run: StoredGenerationRun): Promise<string[]> {
    const ids: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.deps.students.list(
        run.municipalityId,
        { all: true, schoolIds: [] },
        { schoolId: run.schoolId, status: 'leaver', leftBetween: schoolYearDays(run.schoolYear) },
        { limit: 100, continuationToken },
      );
      ids.push(...page.items.map((student) => student.id));
      continuationToken = page.continuationToken ?? undefined;
    } while (continuationToken !== undefined && ids.length <= MAX_STUDENTS_PER_RUN);
    return ids;
  }

  private async run(input: GenerationInput): Promise<StoredGenerationRun> {
    const run = await this.deps.index.findRun(input.municipalityId, input.runId);
    if (!run) throw new Error('generation run not found');
    return run.value;
  }
}

/** A leaver of the run's school who left in the run's school year. */
function leftInYear(student: StoredStudent, run: StoredGenerationRun): boolean {
  return student.status === 'leaver' && student.schoolId === run.schoolId && student.leftAt !== undefined && schoolYearContains(run.schoolYear, student.leftAt);
}

function warningOf(run: StoredGenerationRun, reportId: string, student: StoredStudent): { warning?: StoredRunWarning } {
  return leaverYearLevelsOf(run).includes(student.yearLevel) ? {} : { warning: { reportId, yearLevel: student.yearLevel } };
}
