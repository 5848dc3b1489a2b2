import type { StoredStudent } from '../directory/students.js';
import type { StoredSchool } from '../directory/schools.js';
import type { Municipality } from '../platform/municipalities.js';
import { RECORD_KIND_NAMES, recordSchemaOf, type RecordKind } from '../records/record-kinds.js';
import type { StoredRecord } from '../records/record-store.js';
import { subjectNamesOf } from './subject-catalogue.js';

type RecordView = Record<string, unknown> & { id: string; createdAt: string };

/**
 * The JSON format of a leaver report: who issues it (municipality, school and its
 * organisation number), the student as registered, every assessment, evaluation and grade
 * exactly as the records API returns them (so a reader can compare the two field by field),
 * and the names of the subject codes. The PDF is rendered from this and nothing else. Storage
 * dates are not part of it: the document outlives its copy here, and the index holds them.
 */
export interface LeaverReportContent {
  format: 'engage.leaver-report/2';
  reportId: string;
  schoolYear: string;
  createdAt: string;
  municipality: { id: string; name: string };
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
  /** Names of the subject codes used above, from the shipped catalogue; a code it does not know is absent. */
  subjects: Record<string, string>;
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
  municipality: Pick<Municipality, 'id' | 'name'>;
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
  const subjectCodes = [...lists.grades, ...lists.evaluations].map((record) => String(record.subjectCode));
  return {
    format: 'engage.leaver-report/2',
    reportId: input.reportId,
    schoolYear: input.schoolYear,
    createdAt: input.createdAt,
    municipality: { id: input.municipality.id, name: input.municipality.name },
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
    subjects: subjectNamesOf(subjectCodes),
  };
}
