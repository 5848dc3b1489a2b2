import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Blob container of the reports (lib/storage/blob.ts); infra/ gives it a 365-day lifecycle rule. */
export const LEAVER_REPORT_BLOB_CONTAINER = 'leaver-reports';
export const REPORT_FORMATS = ['pdf', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
export const CONTENT_TYPES: Record<ReportFormat, string> = {
  pdf: 'application/pdf',
  json: 'application/json; charset=utf-8',
};

/** Students one request may name; without names, every leaver of the school (up to the run limit). */
export const MAX_LISTED_STUDENTS = 100;
export const MAX_STUDENTS_PER_RUN = 2_000;

export const schoolYearSchema = z
  .string()
  .regex(/^\d{4}-\d{4}$/, 'must be a school year like 2025-2026')
  .refine((year) => Number(year.slice(5)) === Number(year.slice(0, 4)) + 1, 'must be two consecutive years');

export const generationRequestSchema = z.strictObject({
  schoolId: z.uuid(),
  schoolYear: schoolYearSchema,
  studentIds: z
    .array(z.uuid())
    .min(1)
    .max(MAX_LISTED_STUDENTS)
    .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a student')
    .optional(),
});

export type GenerationRequest = z.infer<typeof generationRequestSchema>;

export const leaverReportSchema = z.object({
  id: z.string(),
  studentId: z.string(),
  schoolId: z.string(),
  schoolYear: z.string(),
  runId: z.string(),
  createdAt: z.string(),
  /** When the report is removed at the latest (the controller's current retention applies). */
  expiresAt: z.string(),
  formats: z.object({ pdf: z.object({ bytes: z.number().int() }), json: z.object({ bytes: z.number().int() }) }),
});

export type LeaverReportView = z.infer<typeof leaverReportSchema>;

export const RUN_STATUSES = ['pending', 'running', 'completed', 'failed'] as const;

/**
 * Something a school should look at, which did not stop the report: a leaver in a year level
 * the municipality does not list as one pupils leave from (settings `leaverYearLevels`).
 * Names the report, not the student, so that the run keeps no student id once it finishes.
 */
export const runWarningSchema = z.object({
  reportId: z.string(),
  code: z.literal('unusual-year-level'),
  yearLevel: z.number().int(),
  message: z.string(),
});

export type RunWarning = z.infer<typeof runWarningSchema>;

export const generationRunSchema = z.object({
  id: z.string(),
  schoolId: z.string(),
  schoolYear: z.string(),
  status: z.enum(RUN_STATUSES),
  /** Students selected; null until an "every leaver of the school" run has listed them. */
  requested: z.number().int().nullable(),
  generated: z.number().int(),
  /** Selected students who were no longer leavers of the school (or were erased) when their turn came. */
  skipped: z.number().int(),
  failed: z.number().int(),
  /** Reports made despite something unusual; filled when the run finishes. */
  warnings: z.array(runWarningSchema),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});

export type GenerationRunView = z.infer<typeof generationRunSchema>;

/**
 * A report's index entry in Cosmos (`reports`, partition `/municipalityId`). Ids and dates
 * only: the student's name and results live in the two blobs. `writing` until both blobs
 * are stored, so that an index entry exists before any blob does and erasure, expiry and
 * repair always find the blobs through it.
 */
export interface StoredLeaverReport {
  id: string;
  type: 'leaver-report';
  municipalityId: string;
  studentId: string;
  schoolId: string;
  schoolYear: string;
  runId: string;
  state: 'writing' | 'ready';
  createdAt: string;
  expiresAt: string;
  bytes: { pdf: number; json: number } | null;
}

/** One generation request: the selection, its progress and outcome. */
export interface StoredGenerationRun {
  id: string;
  type: 'leaver-report-run';
  municipalityId: string;
  schoolId: string;
  schoolYear: string;
  requestedBy: string | null;
  selection: 'listed' | 'all-leavers';
  /** The selection while the run works; emptied when it finishes, leaving counts only. */
  studentIds: string[];
  retentionMonths: number;
  /** The municipality's `leaverYearLevels` when the run was requested. */
  leaverYearLevels: number[];
  status: (typeof RUN_STATUSES)[number];
  requested: number | null;
  skipped: number;
  failed: number;
  warnings: RunWarning[];
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** `{municipalityId}/{creation day}/{reportId}.{pdf|json}`: per tenant, then by day for the expiry sweep and repair. */
export function blobNameOf(report: { municipalityId: string; createdAt: string; id: string }, format: ReportFormat): string {
  return `${dayFolderOf(report.municipalityId, report.createdAt.slice(0, 10))}${report.id}.${format}`;
}

export function dayFolderOf(municipalityId: string, day: string): string {
  return `${municipalityPrefixOf(municipalityId)}${day}/`;
}

export function municipalityPrefixOf(municipalityId: string): string {
  return `${municipalityId}/`;
}

/**
 * One report per run and student, with an id derived from both: a retried activity finds
 * the report its earlier attempt began instead of starting a second one.
 */
export function reportIdOf(runId: string, studentId: string): string {
  const hex = createHash('sha256').update(`leaver-report:${runId}:${studentId}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}
