import type { StoredStudent } from '../directory/students.js';
import type { StoredSchool } from '../directory/schools.js';
import { RECORD_KIND_NAMES, recordSchemaOf, type RecordKind } from '../records/record-kinds.js';
import type { StoredRecord } from '../records/record-store.js';

type RecordView = Record<string, unknown> & { id: string; createdAt: string };

/**
 * The JSON format of a leaver report: the student as registered, and every assessment,
 * evaluation and grade exactly as the records API returns them, so a reader can compare
 * the two field by field. The PDF is rendered from this and nothing else.
 */
export interface LeaverReportContent {
  format: 'engage.leaver-report/1';
  reportId: string;
  schoolYear: string;
  createdAt: string;
  expiresAt: string;
  municipalityId: string;
  school: { id: string; name: string; organisationNumber?: string };
  student: {
    id: string;
    givenName: string;
    familyName: string;
    birthDate: string;
    yearLevel: number;
    status: 'active' | 'leaver';
    leftAt?: string;
  };
  assessments: RecordView[];
  evaluations: RecordView[];
  grades: RecordView[];
}

const LIST_OF: Record<RecordKind, 'assessments' | 'evaluations' | 'grades'> = {
  assessment: 'assessments',
  evaluation: 'evaluations',
  grade: 'grades',
};

/** Oldest first: a report reads as the student's history. */
const chronological = (a: RecordView, b: RecordView) => sortKey(a).localeCompare(sortKey(b)) || a.id.localeCompare(b.id);
const sortKey = (record: RecordView) => String(record.date ?? record.schoolYear ?? '') + record.createdAt;

export function buildReportContent(input: {
  reportId: string;
  schoolYear: string;
  createdAt: string;
  expiresAt: string;
  student: StoredStudent;
  school: StoredSchool;
  records: readonly StoredRecord[];
}): LeaverReportContent {
  const { student, school } = input;
  const lists: Pick<LeaverReportContent, 'assessments' | 'evaluations' | 'grades'> = { assessments: [], evaluations: [], grades: [] };
  for (const record of input.records) {
    if (!RECORD_KIND_NAMES.includes(record.type)) continue;
    lists[LIST_OF[record.type]].push(recordSchemaOf(record.type).parse(record) as RecordView);
  }
  return {
    format: 'engage.leaver-report/1',
    reportId: input.reportId,
    schoolYear: input.schoolYear,
    createdAt: input.createdAt,
    expiresAt: input.expiresAt,
    municipalityId: student.municipalityId,
    school: { id: school.id, name: school.name, ...(school.organisationNumber ? { organisationNumber: school.organisationNumber } : {}) },
    student: {
      id: student.id,
      givenName: student.givenName,
      familyName: student.familyName,
      birthDate: student.birthDate,
      yearLevel: student.yearLevel,
      status: student.status,
      ...(student.leftAt ? { leftAt: student.leftAt } : {}),
    },
    assessments: lists.assessments.sort(chronological),
    evaluations: lists.evaluations.sort(chronological),
    grades: lists.grades.sort(chronological),
  };
}
