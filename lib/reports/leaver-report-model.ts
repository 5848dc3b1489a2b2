import { keyedDigestHex } from '../privacy/keyed-digest.js';
import { z } from 'zod';
import { DEFAULT_LEAVER_YEAR_LEVELS } from '../directory/settings.js';

/** Blob container of the reports (lib/storage/blob.ts); infra/ gives it a 365-day lifecycle rule. */
export const LEAVER_REPORT_BLOB_CONTAINER = 'leaver-reports';
export const REPORT_FORMATS = ['pdf', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
export const CONTENT_TYPES: Record<ReportFormat, string> = {
  pdf: 'application/pdf',
  json: 'application/json; charset=utf-8',
};

/**
 * A creation day is closed two days after it: no run still writes to it, so the repair pass
 * may compare its blobs with the index, and a version made on it is no longer published.
 */
export const CLOSED_AFTER_DAYS = 2;

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

/** What the run stores and its activities pass on: ids and numbers, the text comes when it is read. */
export type StoredRunWarning = Pick<RunWarning, 'reportId' | 'yearLevel'>;

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

/** One generation of a student's report: the run that made it, and where its two blobs live. */
export interface ReportVersion {
  /** The blobs' base name; derived from run and student, so a retried activity writes the same blobs. */
  version: string;
  runId: string;
  schoolId: string;
  createdAt: string;
  expiresAt: string;
}

/**
 * A report's index entry in Cosmos (`reports`, partition `/municipalityId`): one per student
 * and school year (the id says so), pointing at the version readers see. Ids and dates only:
 * the student's name and results live in the two blobs. `writing` until the first version's
 * blobs are stored, so that an index entry exists before any blob does and erasure, expiry
 * and repair always find the blobs through it. A newer version is written beside the
 * current one (`pending`) and replaces it in one conditional write, so a reader sees the old
 * complete report or the new complete one.
 */
export interface StoredLeaverReport extends ReportVersion {
  id: string;
  type: 'leaver-report';
  municipalityId: string;
  studentId: string;
  schoolYear: string;
  state: 'writing' | 'ready';
  bytes: { pdf: number; json: number } | null;
  /** A newer version whose blobs are being written; null when none is. */
  pending: ReportVersion | null;
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
  /** The municipality's `leaverYearLevels` when the run was requested; absent on runs stored before the setting existed. */
  leaverYearLevels?: number[];
  status: (typeof RUN_STATUSES)[number];
  requested: number | null;
  /** Reports made, fixed when the run finishes (a later run may replace them); absent on runs stored before. */
  generated?: number | null;
  skipped: number;
  failed: number;
  /** Absent on runs stored before warnings existed. */
  warnings?: StoredRunWarning[];
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** `{municipalityId}/{creation day}/{version}.{pdf|json}`: per tenant, then by day for the expiry sweep and repair. */
export function blobNameOf(report: { municipalityId: string; createdAt: string; version: string }, format: ReportFormat): string {
  return `${dayFolderOf(report.municipalityId, report.createdAt.slice(0, 10))}${report.version}.${format}`;
}

/** Every blob an entry points at: the current version's and a pending version's. */
export function blobNamesOf(report: StoredLeaverReport): string[] {
  const versions = report.pending ? [report, { ...report.pending, municipalityId: report.municipalityId }] : [report];
  return versions.flatMap((version) => REPORT_FORMATS.map((format) => blobNameOf(version, format)));
}

export function dayFolderOf(municipalityId: string, day: string): string {
  return `${municipalityPrefixOf(municipalityId)}${day}/`;
}

export function municipalityPrefixOf(municipalityId: string): string {
  return `${municipalityId}/`;
}

/**
 * One report per student and school year, with an id derived from both: the index cannot
 * hold two, and a second request finds the first. Keyed, because report ids outlive the
 * student in run warnings: without the key nobody can test a student id against them.
 */
export function reportIdOf(digestKey: string, studentId: string, schoolYear: string): string {
  return uuidOf(digestKey, `leaver-report:${studentId}:${schoolYear}`);
}

/** One version per run and student: a retried activity finds the version its earlier attempt began. */
export function versionIdOf(digestKey: string, runId: string, studentId: string): string {
  return uuidOf(digestKey, `leaver-report-version:${runId}:${studentId}`);
}

/** A UUID-shaped (version 8) keyed digest, so ids look like every other id of the API. */
function uuidOf(digestKey: string, text: string): string {
  const hex = keyedDigestHex(digestKey, text);
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/** The year levels a run checks its leavers against (the default for a run stored before the setting existed). */
export function leaverYearLevelsOf(run: Pick<StoredGenerationRun, 'leaverYearLevels'>): number[] {
  return run.leaverYearLevels ?? DEFAULT_LEAVER_YEAR_LEVELS;
}
