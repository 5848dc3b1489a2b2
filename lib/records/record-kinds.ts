import { z } from 'zod';
import { isoDate } from '../directory/students.js';
import { freeText } from '../http/text-input.js';

const subjectCode = z.string().regex(/^[A-ZÆØÅ]{3}\d{4}$/, 'must be a subject code like NOR1206').meta({
  description: 'Subject code (fagkode) from Utdanningsdirektoratet\'s curriculum, three letters and four digits, e.g. NOR0214 Norsk hovedmål (10. trinn), MAT0010 Matematikk (10. trinn).',
  examples: ['NOR0214'],
});
const schoolYear = z.string().regex(/^\d{4}-\d{4}$/, 'must be a school year like 2025-2026').meta({
  description: 'The school year (skoleår), e.g. `2025-2026` for August 2025 to June 2026.',
  examples: ['2025-2026'],
});

const gradeValue = z.enum(['1', '2', '3', '4', '5', '6', 'IV', 'F', 'D']);
const term = z.enum(['autumn', 'spring']);
const gradeKind = z.enum(['standpunkt', 'eksamen']);

/**
 * Kartlegginger, vurderinger and karakterer. Strict schemas: nothing beyond the fields
 * named here, and no field for special categories of data (P19).
 */
export const RECORD_KINDS = {
  assessment: {
    path: 'assessments',
    fields: z.strictObject({
      testCode: z.string().regex(/^[A-Za-z0-9-]{2,40}$/, 'must be a test code'),
      date: isoDate,
      score: z.number().min(0).max(10_000),
      maxScore: z.number().positive().max(10_000),
      belowThreshold: z.boolean(),
    }),
    output: z.object({ testCode: z.string(), date: z.string(), score: z.number(), maxScore: z.number(), belowThreshold: z.boolean() }),
  },
  evaluation: {
    path: 'evaluations',
    fields: z.strictObject({ subjectCode, date: isoDate, text: freeText({ max: 4000, multiline: true }) }),
    output: z.object({ subjectCode: z.string(), date: z.string(), text: z.string() }),
  },
  grade: {
    path: 'grades',
    fields: z.strictObject({
      subjectCode,
      grade: gradeValue,
      term,
      schoolYear,
      kind: gradeKind,
    }),
    // The same values as written: a client can switch on them.
    output: z.object({ subjectCode: z.string(), grade: gradeValue, term, schoolYear: z.string(), kind: gradeKind }),
  },
} as const;

export type RecordKind = keyof typeof RECORD_KINDS;
export const RECORD_KIND_NAMES = Object.keys(RECORD_KINDS) as RecordKind[];

/** Cross-field rules, checked on creation and again on the merged document after a PATCH. */
export function recordRuleViolation(kind: RecordKind, record: Record<string, unknown>): { field: string; message: string } | undefined {
  if (kind === 'assessment' && typeof record.score === 'number' && typeof record.maxScore === 'number' && record.score > record.maxScore) {
    return { field: 'body/score', message: 'score must not exceed maxScore' };
  }
  return undefined;
}

export function inputSchemaOf(kind: RecordKind) {
  return RECORD_KINDS[kind].fields;
}

export function patchSchemaOf(kind: RecordKind): z.ZodType<Record<string, unknown>> {
  const partial: z.ZodObject = RECORD_KINDS[kind].fields.partial();
  return partial.refine((patch) => Object.keys(patch).length > 0, 'send at least one field');
}

export function recordSchemaOf(kind: RecordKind) {
  return RECORD_KINDS[kind].output.extend({
    id: z.string(),
    studentId: z.string(),
    schoolId: z.string(),
    yearLevel: z.number(),
    authorId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  });
}
