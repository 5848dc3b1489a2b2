import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyedDigest } from '../../lib/privacy/keyed-digest.js';
import { anonymise, schoolYearOf } from '../../lib/records/records-privacy.js';
import type { StoredRecord } from '../../lib/records/record-store.js';

const KEY = 'unit-test-digest-key-of-at-least-32-chars';
const base = { municipalityId: '0301', studentId: 'student-1', schoolId: 'school-1', yearLevel: 9, authorId: 'teacher-1', createdAt: '2026-10-01T08:00:00.000Z', updatedAt: '2026-10-02T08:00:00.000Z' };

describe('keyedDigest', () => {
  it('is HMAC-SHA256 in base64url: the same for the same key and value, different for another key or value', () => {
    expect(keyedDigest(KEY, 'record:r1')).toBe(createHmac('sha256', KEY).update('record:r1').digest('base64url'));
    expect(keyedDigest(KEY, 'record:r1')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(keyedDigest(`${KEY}x`, 'record:r1')).not.toBe(keyedDigest(KEY, 'record:r1'));
    expect(keyedDigest(KEY, 'record:r2')).not.toBe(keyedDigest(KEY, 'record:r1'));
  });
});

describe('schoolYearOf', () => {
  it('starts the school year in August', () => {
    expect(schoolYearOf('2026-08-01')).toBe('2026-2027');
    expect(schoolYearOf('2026-07-31')).toBe('2025-2026');
    expect(schoolYearOf('2027-01-15T10:00:00.000Z')).toBe('2026-2027');
    expect(schoolYearOf('2026-12-31')).toBe('2026-2027');
  });
});

describe('anonymise (P3)', () => {
  it('keeps only statistics, in a shared partition, under a keyed id that names nothing', () => {
    const record = { ...base, id: 'evaluation-1', type: 'evaluation', subjectCode: 'NOR0214', date: '2026-10-01', text: 'Kari Nordmann leste.' } as StoredRecord;
    const anonymous = anonymise(record, KEY);
    expect(anonymous).toEqual({
      id: keyedDigest(KEY, 'record:evaluation-1'),
      type: 'evaluation',
      municipalityId: '0301',
      studentId: 'anonymous:school-1:2026-2027',
      anonymised: true,
      schoolId: 'school-1',
      yearLevel: 9,
      schoolYear: '2026-2027',
      subjectCode: 'NOR0214',
    });
    const text = JSON.stringify(anonymous);
    for (const needle of ['evaluation-1', 'student-1', 'teacher-1', 'Kari', '2026-10-01']) expect(text).not.toContain(needle);
  });

  it('keeps the grade fields, and a grade keeps its own school year', () => {
    const record = { ...base, id: 'grade-1', type: 'grade', subjectCode: 'MAT0010', grade: '5', term: 'spring', kind: 'standpunkt', schoolYear: '2024-2025' } as StoredRecord;
    expect(anonymise(record, KEY)).toMatchObject({ subjectCode: 'MAT0010', grade: '5', term: 'spring', kind: 'standpunkt', schoolYear: '2024-2025', studentId: 'anonymous:school-1:2024-2025' });
  });

  it('keeps the screening fields, and dates a record without a date by its creation', () => {
    const record = { ...base, id: 'assessment-1', type: 'assessment', testCode: 'LES-2', score: 31, maxScore: 40, belowThreshold: false, createdAt: '2027-03-01T08:00:00.000Z' } as StoredRecord;
    expect(anonymise(record, KEY)).toMatchObject({ testCode: 'LES-2', score: 31, maxScore: 40, belowThreshold: false, schoolYear: '2026-2027' });
    expect(anonymise(record, KEY)).not.toHaveProperty('date');
  });

  it('leaves out a statistical field the record does not have', () => {
    const record = { ...base, id: 'grade-2', type: 'grade', subjectCode: 'MAT0010', grade: '4', schoolYear: '2024-2025' } as StoredRecord;
    expect(Object.keys(anonymise(record, KEY))).not.toContain('term');
  });
});
