import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { Clock } from '../clock.js';
import { readTyped, replaceIfMatch, type Versioned } from '../data/documents.js';
import type { StoredStudent } from '../directory/students.js';
import { problems } from '../http/problem.js';
import type { Page } from '../paging/continuation.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import { queryPage, type PageRequest } from '../paging/query-page.js';
import { recordRuleViolation, type RecordKind } from './record-kinds.js';

export interface StoredRecord {
  id: string;
  type: RecordKind;
  municipalityId: string;
  /** Second level of the partition key: one student's records live together. */
  studentId: string;
  schoolId: string;
  yearLevel: number;
  authorId: string | null;
  createdAt: string;
  updatedAt: string;
  [field: string]: unknown;
}

/**
 * Assessments, evaluations and grades, partitioned by [municipalityId, studentId] so that
 * a municipality's records (tens of GB over ten years) spread over many logical
 * partitions while one student's records stay one single-partition query.
 */
export class RecordStore {
  constructor(
    private readonly records: Container,
    private readonly clock: Clock,
    private readonly continuations: ContinuationSealer,
  ) {}

  async create(kind: RecordKind, student: StoredStudent, authorId: string, fields: Record<string, unknown>): Promise<Versioned<StoredRecord>> {
    const violation = recordRuleViolation(kind, fields);
    if (violation) throw problems.validation([violation]);
    const now = this.clock.now().toISOString();
    const record: StoredRecord = {
      ...fields,
      id: randomUUID(),
      type: kind,
      municipalityId: student.municipalityId,
      studentId: student.id,
      schoolId: student.schoolId,
      yearLevel: student.yearLevel,
      authorId,
      createdAt: now,
      updatedAt: now,
    };
    const { resource, etag } = await this.records.items.create(record);
    return { value: resource ?? record, etag };
  }

  async get(kind: RecordKind, municipalityId: string, studentId: string, id: string): Promise<Versioned<StoredRecord>> {
    const found = await readTyped<StoredRecord>(this.records, id, [['municipalityId', municipalityId], ['studentId', studentId]], kind);
    if (!found) throw problems.notFound();
    return found;
  }

  list(kind: RecordKind, municipalityId: string, studentId: string, page: PageRequest): Promise<Page<StoredRecord>> {
    return queryPage(
      this.continuations,
      this.records,
      { where: 'c.type = @kind', parameters: [{ name: '@kind', value: kind }] },
      [['municipalityId', municipalityId], ['studentId', studentId]],
      page,
    );
  }

  async update(kind: RecordKind, current: Versioned<StoredRecord>, patch: Record<string, unknown>, ifMatch: string) {
    const next: StoredRecord = { ...current.value, ...patch, updatedAt: this.clock.now().toISOString() };
    const violation = recordRuleViolation(kind, next);
    if (violation) throw problems.validation([violation]);
    return replaceIfMatch(this.records, [next.municipalityId, next.studentId], current, next, ifMatch);
  }
}
