import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { studentInputSchema } from '../../lib/directory/students.js';
import { inputSchemaOf } from '../../lib/records/record-kinds.js';
import { DEMO_GROUPS, DEMO_MUNICIPALITY, DEMO_SCHOOLS, demoStudents, schoolYearStart, yearLevelOf, type DemoStudent } from '../../local/demo-people.js';
import { seedDemoData } from '../../local/demo-seed.js';
import { ManualClock } from '../support/manual-clock.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const day = (date: Date) => date.toISOString().slice(0, 10);

/** What makes a demo pupil plausible as of `today`; the reasons it is not, or none. */
function implausibilities(student: DemoStudent, today: Date): string[] {
  const start = schoolYearStart(today);
  const school = DEMO_SCHOOLS[student.school];
  const problems: string[] = [];
  if (!school) return ['no such school'];
  const birthYear = Number(student.birthDate.slice(0, 4));
  // A leaver's year level is the one they left from, in the school year before this one.
  const yearOfLevel = student.status === 'leaver' ? start - 1 : start;
  if (yearLevelOf(birthYear, yearOfLevel) !== student.yearLevel) problems.push(`born ${birthYear} but in year ${student.yearLevel} in ${yearOfLevel}-${yearOfLevel + 1}`);
  if (student.yearLevel < school.firstYear || student.yearLevel > school.lastYear) problems.push(`year ${student.yearLevel} at ${school.name}`);
  const dates = [student.records.assessment.date, student.records.evaluation.date];
  if (student.status === 'leaver') {
    if (student.yearLevel !== school.lastYear) problems.push(`left ${school.name} from year ${student.yearLevel}`);
    if (!student.leftAt || student.leftAt > day(today)) problems.push(`left ${student.leftAt ?? 'never'}`);
    for (const date of dates) if (student.leftAt && date > student.leftAt) problems.push(`record dated ${date} after leaving ${student.leftAt}`);
    if (student.records.grade && Number(student.records.grade.schoolYear.slice(5)) > Number(student.leftAt?.slice(0, 4))) problems.push(`grade for ${student.records.grade.schoolYear} after leaving`);
  }
  for (const date of dates) {
    if (date > day(today)) problems.push(`record dated ${date}, in the future`);
    if (date < `${yearOfLevel}-08-01`) problems.push(`record dated ${date}, before the school year of its year level`);
  }
  if (student.records.grade && student.yearLevel < 8) problems.push(`a grade in year ${student.yearLevel}`);
  return problems;
}

describe('the demo people are plausible', () => {
  it('ages match year levels, leavers left from the last year of their school, no record after leaving or in the future: any day', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2040-12-31T00:00:00Z'), noInvalidDate: true }), (today) => {
        const students = demoStudents(today);
        expect(students.flatMap((student) => implausibilities(student, today).map((problem) => `${student.givenName} ${student.familyName}: ${problem}`))).toEqual([]);
        expect(new Set(students.filter((student) => student.status === 'leaver').map((student) => student.yearLevel))).toEqual(new Set([7, 10]));
      }),
      { numRuns: 50 },
    );
  });

  it('a Norwegian child starts year 1 in August of the year they turn 6', () => {
    expect(schoolYearStart(new Date('2026-08-01T00:00:00Z'))).toBe(2026);
    expect(schoolYearStart(new Date('2027-07-31T00:00:00Z'))).toBe(2026);
    expect(yearLevelOf(2020, 2026)).toBe(1);
    expect(yearLevelOf(2011, 2026)).toBe(10);
  });

  it('every demo pupil and record is valid input to the API (the same data a roster import would carry)', () => {
    for (const { records, school, ...student } of demoStudents(new Date('2026-11-30T12:00:00Z'))) {
      expect(studentInputSchema.safeParse({ ...student, schoolId: '00000000-0000-4000-8000-000000000000' }).error).toBeUndefined();
      for (const [kind, fields] of Object.entries(records)) expect(inputSchemaOf(kind as keyof typeof records).safeParse(fields).error).toBeUndefined();
      expect(school).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('the demo seed', () => {
  const clock = new ManualClock('2026-11-30T12:00:00.000Z');
  let test: TestApp;
  beforeAll(async () => {
    test = await startTestApp({ clock });
  }, 120_000);
  afterAll(() => test.close());

  async function stored(container: 'directory' | 'records', type?: string) {
    const query = `SELECT * FROM c WHERE c.municipalityId = @m${type ? ' AND c.type = @type' : ''}`;
    const parameters = [{ name: '@m', value: DEMO_MUNICIPALITY }, ...(type ? [{ name: '@type', value: type }] : [])];
    const { resources } = await test.app.services.cosmos.database.container(container).items.query({ query, parameters }).fetchAll();
    return resources as Record<string, any>[];
  }

  it('is idempotent: the second run finds the municipality "already present" and writes nothing', async () => {
    expect(await seedDemoData(test.app.services)).toBe('seeded');
    const students = await stored('directory', 'student');
    const records = await stored('records');
    expect(await seedDemoData(test.app.services)).toBe('already present');
    expect(await stored('directory', 'student')).toHaveLength(students.length);
    expect(await stored('records')).toHaveLength(records.length);
  }, 120_000);

  it('stores what the declaration says: each record under its pupil, each group of one year level at one school', async () => {
    const students = await stored('directory', 'student');
    const records = await stored('records');
    expect(students).toHaveLength(demoStudents(clock.now()).length);
    const byId = new Map(students.map((student) => [student.id as string, student]));
    for (const record of records) {
      const student = byId.get(record.studentId);
      expect(student).toBeDefined();
      if (student?.status === 'leaver' && record.date) expect(record.date <= student.leftAt).toBe(true);
      if (record.date) expect(record.date <= day(clock.now())).toBe(true);
    }
    const groups = await stored('directory', 'group');
    expect(groups.map((group) => group.name).sort()).toEqual(DEMO_GROUPS.map((group) => group.name).sort());
    for (const group of groups) {
      const declared = DEMO_GROUPS.find((candidate) => candidate.name === group.name);
      expect(group.studentIds.length).toBeGreaterThan(0);
      for (const id of group.studentIds) expect(byId.get(id)).toMatchObject({ yearLevel: declared?.yearLevel, status: 'active', schoolId: group.schoolId });
    }
  });
});
