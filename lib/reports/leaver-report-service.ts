import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import { inScope, type StaffPrincipal } from '../access/scopes.js';
import type { StudentGate } from '../access/student-gate.js';
import type { Clock } from '../clock.js';
import type { SchoolStore } from '../directory/schools.js';
import type { SettingsStore } from '../directory/settings.js';
import type { StoredStudent } from '../directory/students.js';
import { problems, type FieldError } from '../http/problem.js';
import type { JobScheduler } from '../jobs/job-scheduler.js';
import type { Page } from '../paging/continuation.js';
import { queryAll, type PageRequest } from '../paging/query-page.js';
import { LEAVER_REPORT_FUNCTIONS } from './leaver-report-jobs.js';
import {
  blobNameOf,
  CONTENT_TYPES,
  leaverYearLevelsOf,
  type GenerationRequest,
  type GenerationRunView,
  type LeaverReportView,
  type ReportFormat,
  type StoredGenerationRun,
  type StoredLeaverReport,
} from './leaver-report-model.js';
import type { ReportBlobs } from './report-blobs.js';
import type { ReportFilter, ReportIndex } from './report-index.js';
import { dueIfCreatedBefore, effectiveDeadline } from './retention.js';
import { schoolYearContains } from './school-year.js';

export interface LeaverReportServiceDependencies {
  index: ReportIndex;
  blobs: ReportBlobs;
  directory: Container;
  gate: StudentGate;
  schools: SchoolStore;
  settings: SettingsStore;
  /** The job machinery's scheduler (Durable Functions in Azure, the local driver otherwise). */
  scheduler: JobScheduler;
  clock: Clock;
}

export interface ReportDocument {
  content: Buffer;
  contentType: string;
  fileName: string;
  /** Whose report: the audit entry of the download names them. */
  studentId: string;
}

type StudentVisibility = Pick<StoredStudent, 'id' | 'schoolId' | 'status' | 'leftAt' | 'teacherIds'>;

/**
 * The request path of P4: start a generation run, follow it, list, read and download
 * reports. Every read goes through the student's visibility (P5) and the controller's
 * current retention: a report past its deadline answers 404 even before the job removed it.
 * Every read, download and generation is audited (declared on the routes), with ids only.
 */
export class LeaverReportService {
  constructor(private readonly deps: LeaverReportServiceDependencies) {}

  async requestGeneration(staff: StaffPrincipal, municipalityId: string, request: GenerationRequest): Promise<GenerationRunView> {
    const { deps } = this;
    const scope = await deps.gate.readScope(staff);
    if (!inScope(scope, { schoolIds: [request.schoolId] })) {
      throw problems.validation([{ field: 'body/schoolId', message: 'refers to a school you do not manage' }]);
    }
    await deps.schools.assertExist(municipalityId, [request.schoolId]);
    if (request.studentIds) await this.assertLeavers(staff, municipalityId, request, request.studentIds);
    const settings = (await deps.settings.get(municipalityId)).value;
    const now = deps.clock.now().toISOString();
    const run: StoredGenerationRun = {
      id: randomUUID(),
      type: 'leaver-report-run',
      municipalityId,
      schoolId: request.schoolId,
      schoolYear: request.schoolYear,
      requestedBy: staff.userId,
      selection: request.studentIds ? 'listed' : 'all-leavers',
      studentIds: request.studentIds ?? [],
      retentionMonths: settings.leaverReportRetentionMonths,
      leaverYearLevels: settings.leaverYearLevels,
      status: 'pending',
      requested: request.studentIds?.length ?? null,
      generated: null,
      skipped: 0,
      failed: 0,
      warnings: [],
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    await deps.index.createRun(run);
    try {
      await deps.scheduler.start(LEAVER_REPORT_FUNCTIONS.generation, { runId: run.id, municipalityId }, `${LEAVER_REPORT_FUNCTIONS.generation}:${run.id}`);
    } catch (error) {
      await deps.index.patchRun(municipalityId, run.id, [{ op: 'set', path: '/status', value: 'failed' }, { op: 'set', path: '/finishedAt', value: now }]);
      throw error;
    }
    return viewOfRun(run, 0);
  }

  async getRun(staff: StaffPrincipal, municipalityId: string, runId: string): Promise<GenerationRunView> {
    const found = await this.deps.index.findRun(municipalityId, runId);
    const scope = await this.deps.gate.readScope(staff);
    if (!found || !inScope(scope, { schoolIds: [found.value.schoolId] })) throw problems.notFound();
    let run = found.value;
    if (run.status === 'pending' || run.status === 'running') {
      // An orchestration that failed outright never reached its finish activity.
      const state = await this.deps.scheduler.state(`${LEAVER_REPORT_FUNCTIONS.generation}:${run.id}`);
      if (state === 'failed') run = { ...run, status: 'failed' };
    }
    // Fixed when the run finished: a later request for the same student and year replaces the report, not this count.
    const generated = run.generated ?? (await this.deps.index.countReady(municipalityId, runId));
    return viewOfRun(run, generated);
  }

  async list(staff: StaffPrincipal, municipalityId: string, filter: ReportFilter, page: PageRequest): Promise<Page<LeaverReportView>> {
    const scope = await this.deps.gate.readScope(staff);
    const months = await this.retentionMonths(municipalityId);
    const now = this.deps.clock.now();
    const found = await this.deps.index.list(
      municipalityId,
      scope,
      { now: now.toISOString(), createdFrom: dueIfCreatedBefore(now, months).toISOString() },
      filter,
      page,
    );
    return { items: found.items.map((report) => viewOf(report, months)), continuationToken: found.continuationToken };
  }

  async get(staff: StaffPrincipal, municipalityId: string, id: string): Promise<LeaverReportView> {
    const { report, months } = await this.readable(staff, municipalityId, id);
    return viewOf(report, months);
  }

  async document(staff: StaffPrincipal, municipalityId: string, id: string, format: ReportFormat): Promise<ReportDocument> {
    let { report } = await this.readable(staff, municipalityId, id);
    let content = await this.deps.blobs.download(blobNameOf(report, format));
    if (!content) {
      // A newer version may have replaced this one (and its blobs) since the entry was read: the entry says where it is.
      const again = await this.deps.index.find(municipalityId, id);
      if (again?.state === 'ready' && again.version !== report.version) {
        report = again;
        content = await this.deps.blobs.download(blobNameOf(report, format));
      }
    }
    // A blob missing behind its index entry: the expiry job's repair removes the entry.
    if (!content) throw problems.notFound();
    return { content, contentType: CONTENT_TYPES[format], fileName: `avgangsrapport-${report.id}.${format}`, studentId: report.studentId };
  }

  /** Ready, not past the deadline that applies now, and of a student the caller may see; else 404. */
  private async readable(staff: StaffPrincipal, municipalityId: string, id: string): Promise<{ report: StoredLeaverReport; months: number }> {
    const report = await this.deps.index.find(municipalityId, id);
    if (!report || report.state !== 'ready') throw problems.notFound();
    const months = await this.retentionMonths(municipalityId);
    if (effectiveDeadline(report, months).getTime() <= this.deps.clock.now().getTime()) throw problems.notFound();
    await this.deps.gate.readable(staff, report.studentId);
    return { report, months };
  }

  /**
   * Named students must be ones the caller may see (else 404, as for any student), leavers
   * of the school, and have left in the requested school year (else 400). One
   * single-partition query for all of them.
   */
  private async assertLeavers(staff: StaffPrincipal, municipalityId: string, request: Pick<GenerationRequest, 'schoolId' | 'schoolYear'>, studentIds: readonly string[]): Promise<void> {
    const found = await queryAll<StudentVisibility>(
      this.deps.directory,
      {
        select: 'c.id, c.schoolId, c.status, c.leftAt, c.teacherIds',
        where: "c.type = 'student' AND NOT IS_DEFINED(c.erasureId) AND ARRAY_CONTAINS(@ids, c.id)",
        parameters: [{ name: '@ids', value: [...studentIds] }],
      },
      [['municipalityId', municipalityId]],
    );
    const scope = await this.deps.gate.readScope(staff);
    const byId = new Map(found.map((student) => [student.id, student]));
    const errors: FieldError[] = [];
    studentIds.forEach((id, position) => {
      const student = byId.get(id);
      if (!student || !inScope(scope, { schoolIds: [student.schoolId], teacherIds: student.teacherIds })) throw problems.notFound();
      const problem = leaverProblem(student, request);
      if (problem) errors.push({ field: `body/studentIds/${position}`, message: problem });
    });
    if (errors.length > 0) throw problems.validation(errors);
  }

  private async retentionMonths(municipalityId: string): Promise<number> {
    return (await this.deps.settings.get(municipalityId)).value.leaverReportRetentionMonths;
  }
}

/** Why a named student cannot have a report for this school and year; undefined when they can. */
function leaverProblem(student: StudentVisibility, request: Pick<GenerationRequest, 'schoolId' | 'schoolYear'>): string | undefined {
  if (student.status !== 'leaver' || student.schoolId !== request.schoolId) return 'is not a leaver at this school';
  if (student.leftAt === undefined) return 'has no leaving date (leftAt)';
  if (!schoolYearContains(request.schoolYear, student.leftAt)) return 'did not leave in this school year';
  return undefined;
}

function viewOf(report: StoredLeaverReport, months: number): LeaverReportView {
  return {
    id: report.id,
    studentId: report.studentId,
    schoolId: report.schoolId,
    schoolYear: report.schoolYear,
    runId: report.runId,
    createdAt: report.createdAt,
    expiresAt: effectiveDeadline(report, months).toISOString(),
    formats: { pdf: { bytes: report.bytes?.pdf ?? 0 }, json: { bytes: report.bytes?.json ?? 0 } },
  };
}

function viewOfRun(run: StoredGenerationRun, generated: number): GenerationRunView {
  return {
    id: run.id,
    schoolId: run.schoolId,
    schoolYear: run.schoolYear,
    status: run.status,
    requested: run.requested,
    generated,
    skipped: run.skipped,
    failed: run.failed,
    warnings: (run.warnings ?? []).map((warning) => ({
      ...warning,
      code: 'unusual-year-level' as const,
      message: `The student left from year level ${warning.yearLevel}, which is not one of the municipality's leaving year levels (${leaverYearLevelsOf(run).join(', ')}); the report was made`,
    })),
    createdAt: run.createdAt,
    finishedAt: run.finishedAt,
  };
}
