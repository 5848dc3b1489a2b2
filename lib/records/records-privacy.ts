import type { Container } from '@azure/cosmos';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { partitionQuery, queryAll, queryPrefixPages } from '../paging/query-page.js';
import { queryFreeTextPage, rewriteEdited, type FreeTextDeclaration } from '../privacy/free-text-sweep.js';
import { keyedDigest } from '../privacy/keyed-digest.js';
import type { PrivacyProvider, PrivacySubject } from '../privacy/privacy-provider.js';
import { RECORD_KIND_NAMES, RECORD_KINDS, type RecordKind } from './record-kinds.js';
import type { StoredRecord } from './record-store.js';

/** Fields that serve statistics and cannot name a person; everything else goes. */
const STATISTICAL_FIELDS: Record<RecordKind, readonly string[]> = {
  assessment: ['testCode', 'score', 'maxScore', 'belowThreshold'],
  evaluation: ['subjectCode'],
  grade: ['subjectCode', 'grade', 'term', 'kind'],
};

/** Norwegian school years start in August. */
export function schoolYearOf(date: string): string {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  return month >= 8 ? `${year}-${year + 1}` : `${year - 1}-${year}`;
}

export interface AnonymisedRecord {
  id: string;
  type: RecordKind;
  municipalityId: string;
  /** Partition of anonymous records: many people's records of one school and school year. */
  studentId: string;
  anonymised: true;
  schoolId: string;
  yearLevel: number;
  schoolYear: string;
  [field: string]: unknown;
}

/**
 * P3: a student's records stay for statistics but can never be tied back. The anonymous
 * copy keeps only subject, grade, test, score, year level, school and school year, lives
 * in a shared partition (partition keys are immutable, so it is a create then a delete),
 * and its id is a keyed hash of the original so that a retry after a crash between the two
 * steps finds the copy instead of making a second.
 */
export function anonymise(record: StoredRecord, key: string): AnonymisedRecord {
  const schoolYear = typeof record.schoolYear === 'string' ? record.schoolYear : schoolYearOf(String(record.date ?? record.createdAt));
  const kept = Object.fromEntries(STATISTICAL_FIELDS[record.type].filter((field) => field in record).map((field) => [field, record[field]]));
  return {
    ...kept,
    id: keyedDigest(key, `record:${record.id}`),
    type: record.type,
    municipalityId: record.municipalityId,
    studentId: `anonymous:${record.schoolId}:${schoolYear}`,
    anonymised: true,
    schoolId: record.schoolId,
    yearLevel: record.yearLevel,
    schoolYear,
  };
}

const EVALUATION_TEXT = ['text'];

/** Teachers' evaluations: free text about one student that may name classmates. */
function evaluationText(records: Container): FreeTextDeclaration {
  return {
    inputs: [RECORD_KINDS.evaluation.fields],
    fields: ['evaluation.text'],
    async sweep(municipalityId, edit, page) {
      const { spec, partitionKey } = partitionQuery({ where: "c.type = 'evaluation' AND IS_STRING(c.text)" }, [['municipalityId', municipalityId]], true);
      const { items, cursor } = await queryFreeTextPage<StoredRecord>(records, spec, page, { partitionKey });
      let mentions = 0;
      for (const record of items) mentions += await rewriteEdited(records, record, [record.municipalityId, record.studentId], EVALUATION_TEXT, edit);
      return { scanned: items.length, mentions, cursor };
    },
  };
}

export function recordsPrivacyProvider(records: Container, key: string): PrivacyProvider {
  const ofStudent = (subject: PrivacySubject) =>
    queryAll<StoredRecord>(records, {}, [['municipalityId', subject.municipalityId], ['studentId', subject.id]]);
  const authoredBy = (subject: PrivacySubject) =>
    queryPrefixPages<StoredRecord>(records, { where: 'c.authorId = @author', parameters: [{ name: '@author', value: subject.id }] }, [['municipalityId', subject.municipalityId]]);

  return {
    name: 'records',
    locations: [{ kind: 'cosmos', container: 'records', documentTypes: [...RECORD_KIND_NAMES] }],
    categories: ['screening tests (kartlegginger)', 'evaluations (vurderinger) with free text', 'grades (karakterer)', 'authorship by staff'],
    purpose: 'Following up students (P2); anonymised records remain for statistics (P3)',
    retention: "Until the student's erasure, then anonymised",
    subjects: ['student', 'user'],
    order: 20,
    freeText: evaluationText(records),
    async export(subject) {
      const items: Record<string, unknown>[] = [];
      if (subject.type === 'student') {
        for (const record of await ofStudent(subject)) items.push(Object.fromEntries(Object.entries(record).filter(([k]) => !k.startsWith('_'))));
      } else {
        for await (const page of authoredBy(subject)) items.push(...page.map((record) => ({ recordId: record.id, type: record.type, authoredAt: record.createdAt })));
      }
      return { provider: this.name, description: subject.type === 'student' ? "The student's records" : 'Records this person authored (ids only)', items };
    },
    async erase(subject) {
      let count = 0;
      if (subject.type === 'student') {
        for (const record of await ofStudent(subject)) {
          try {
            await records.items.create(anonymise(record, key));
          } catch (error) {
            if (!isCosmosStatus(error, 409)) throw error;
          }
          try {
            await records.item(record.id, [record.municipalityId, record.studentId]).delete();
          } catch (error) {
            if (!isCosmosStatus(error, 404)) throw error;
          }
          count += 1;
        }
        return count;
      }
      for await (const page of authoredBy(subject)) {
        for (const record of page) {
          await records.item(record.id, [record.municipalityId, record.studentId]).patch([{ op: 'set', path: '/authorId', value: null }]);
          count += 1;
        }
      }
      return count;
    },
    async verify(subject) {
      if (subject.type === 'student') return (await ofStudent(subject)).map((record) => `record ${record.id} is still linked to the student`);
      const leftovers: string[] = [];
      for await (const page of authoredBy(subject)) leftovers.push(...page.map((record) => `record ${record.id} still names its author`));
      return leftovers;
    },
  };
}
