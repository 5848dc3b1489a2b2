import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { studentInputSchema } from '../../lib/directory/students.js';
import { inputSchemaOf } from '../../lib/records/record-kinds.js';
import {
  DEMO_GROUPS,
  DEMO_LEAVING_CLASSES,
  DEMO_MUNICIPALITY,
  DEMO_SCHOOLS,
  DEMO_STAFF,
  demoGroupMembers,
  demoStaffEmail,
  demoStudents,
  schoolYearStart,
  yearLevelOf,
  type DemoStudent,
} from '../../local/demo-people.js';
import { inDemoRoster } from '../../local/demo-roster.js';
import { describeSeed, seedDemoData } from '../../local/demo-seed.js';
import { ManualClock } from '../support/manual-clock.js';
import { allItems, startTestApp, type TestApp } from '../support/test-app.js';

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

describe('the demo declaration and its roster', () => {
  it('names every pupil once by name and birth date (the seed finds the imported pupil that way): any day', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2040-12-31T00:00:00Z'), noInvalidDate: true }), (today) => {
        const students = demoStudents(today);
        expect(new Set(students.map((student) => `${student.givenName} ${student.familyName} ${student.birthDate}`)).size).toBe(students.length);
      }),
      { numRuns: 20 },
    );
  });

  it('every staff member either comes with the roster (a school, only roles a file grants) or is an admin without a school', () => {
    for (const person of DEMO_STAFF) {
      if (!inDemoRoster(person)) expect(person.school).toBeUndefined();
    }
    expect(DEMO_STAFF.filter((person) => !inDemoRoster(person)).flatMap((person) => person.roles).sort()).toEqual(['data-admin', 'municipality-admin']);
  });

  it('every leaver left from a leaving class of their school, and every group has its teacher and pupils', () => {
    const students = demoStudents(new Date('2026-11-30T12:00:00Z'));
    for (const leaver of students.filter((student) => student.status === 'leaver')) {
      expect(DEMO_LEAVING_CLASSES.some((cls) => cls.school === leaver.school && cls.yearLevel === leaver.yearLevel)).toBe(true);
    }
    for (const group of DEMO_GROUPS) {
      expect(DEMO_STAFF.find((person) => person.subject === group.teacher)).toMatchObject({ school: group.school, roles: expect.arrayContaining(['teacher']) });
      expect(demoGroupMembers(group, students).length).toBeGreaterThan(0);
    }
  });
});

interface ApiStudent { id: string; givenName: string; familyName: string; birthDate: string; schoolId: string; yearLevel: number; status: string; leftAt?: string; groupIds: string[] }
interface ApiGroup { id: string; name: string; schoolId: string; teacherIds: string[]; studentIds: string[]; schoolYear?: string; closedAt?: string }
interface ApiUser { id: string; name: string; email: string; roles: string[]; schoolIds: string[] }

/**
 * The seed's directory comes from a roster import of the declaration's OneRoster set. These
 * tests start from an empty store (a database of their own) and look through the API.
 */
describe('the demo seed, by a roster import', () => {
  // Not a fixed date: the upload URL is a SAS that Azurite checks against the real time.
  const clock = new ManualClock(new Date().toISOString());
  let test: TestApp;
  let admin: string;

  beforeAll(async () => {
    test = await startTestApp({ clock });
  }, 120_000);
  afterAll(() => test.close());

  const all = <T>(path: string): Promise<T[]> => allItems<T>(test, `/municipalities/${DEMO_MUNICIPALITY}/${path}?limit=100`, admin);

  async function stored(container: 'directory' | 'records', type?: string) {
    const query = `SELECT * FROM c WHERE c.municipalityId = @m${type ? ' AND c.type = @type' : ''}`;
    const parameters = [{ name: '@m', value: DEMO_MUNICIPALITY }, ...(type ? [{ name: '@type', value: type }] : [])];
    const { resources } = await test.app.services.cosmos.database.container(container).items.query({ query, parameters }).fetchAll();
    return resources as Record<string, any>[];
  }

  it('from an empty store imports the declared directory: schools, staff with roles, pupils with year levels and birth dates, groups with members', async () => {
    const today = clock.now();
    const declared = demoStudents(today);
    const outcome = await seedDemoData(test.app.services, { url: test.url, keys: test.keys });
    expect(outcome.municipality).toBe('seeded');
    expect(outcome.roster, JSON.stringify(outcome.roster)).toMatchObject({ status: 'completed', rejected: 0, failedWrites: 0, dryRun: false });
    expect(outcome.roster.operations.writes).toBeGreaterThan(0);
    // Every school, rostered staff member, pupil and class is a document the import created.
    const rostered = DEMO_SCHOOLS.length + DEMO_STAFF.filter(inDemoRoster).length + declared.length + DEMO_GROUPS.length + DEMO_LEAVING_CLASSES.length;
    expect(describeSeed(outcome)).toBe(`seeded, its schools, staff, pupils and groups by a roster import (${rostered} changes)`);
    admin = await test.token('demo-municipality-admin');

    const schools = await all<{ id: string; name: string }>('schools');
    expect(schools.map((school) => school.name).sort()).toEqual(DEMO_SCHOOLS.map((school) => school.name).sort());
    const schoolName = new Map(schools.map((school) => [school.id, school.name]));
    const nameOf = (school: number) => DEMO_SCHOOLS[school]?.name;

    const users = await all<ApiUser>('users');
    expect(users.map((user) => ({ name: user.name, email: user.email, roles: [...user.roles].sort(), schools: user.schoolIds.map((id) => schoolName.get(id)) })).sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      DEMO_STAFF.map((person) => ({ name: person.name, email: demoStaffEmail(person), roles: [...person.roles].sort(), schools: person.school === undefined ? [] : [nameOf(person.school)] })).sort((a, b) => a.name.localeCompare(b.name)),
    );
    const userName = new Map(users.map((user) => [user.id, user.name]));

    const students = await all<ApiStudent>('students');
    const person = (student: { givenName: string; familyName: string; birthDate: string }) => `${student.givenName} ${student.familyName} ${student.birthDate}`;
    expect(students.map((student) => ({ person: person(student), school: schoolName.get(student.schoolId), yearLevel: student.yearLevel, status: student.status, leftAt: student.leftAt })).sort((a, b) => a.person.localeCompare(b.person))).toEqual(
      declared.map((student) => ({ person: person(student), school: nameOf(student.school), yearLevel: student.yearLevel, status: student.status, leftAt: student.leftAt })).sort((a, b) => a.person.localeCompare(b.person)),
    );
    const studentPerson = new Map(students.map((student) => [student.id, person(student)]));

    const start = schoolYearStart(today);
    const groups = await all<ApiGroup>('groups');
    const seen = (group: ApiGroup) => ({
      name: group.name,
      school: schoolName.get(group.schoolId),
      schoolYear: group.schoolYear,
      closed: group.closedAt !== undefined,
      teachers: group.teacherIds.map((id) => userName.get(id)),
      students: group.studentIds.map((id) => studentPerson.get(id)).sort(),
    });
    expect(groups.map(seen).sort((a, b) => `${a.school}${a.name}`.localeCompare(`${b.school}${b.name}`))).toEqual(
      [
        ...DEMO_GROUPS.map((group) => ({
          name: group.name,
          school: nameOf(group.school),
          schoolYear: `${start}-${start + 1}`,
          closed: false,
          teachers: [DEMO_STAFF.find((staff) => staff.subject === group.teacher)?.name],
          students: demoGroupMembers(group, declared).map(person).sort(),
        })),
        // Last year's classes the leavers left from: ended, so closed and without members.
        ...DEMO_LEAVING_CLASSES.map((cls) => ({ name: cls.name, school: nameOf(cls.school), schoolYear: `${start - 1}-${start}`, closed: true, teachers: [], students: [] })),
      ].sort((a, b) => `${a.school}${a.name}`.localeCompare(`${b.school}${b.name}`)),
    );
    // Each pupil's side of the membership, as the import mirrors it.
    const groupOf = new Map(groups.flatMap((group) => group.studentIds.map((id) => [id, group.id] as const)));
    for (const student of students) expect(student.groupIds).toEqual(groupOf.has(student.id) ? [groupOf.get(student.id)] : []);

    // The tokens npm start prints sign the imported staff in: their roster login is a dev-issuer subject.
    for (const staff of DEMO_STAFF) {
      const me = await test.request<{ kind: string; roles: string[] }>('GET', '/me', { token: await test.token(staff.subject) });
      expect(me.body, staff.subject).toMatchObject({ kind: 'staff', roles: staff.roles });
    }
  }, 240_000);

  it('writes each declared record under its pupil, dated within school time', async () => {
    const students = await stored('directory', 'student');
    const records = await stored('records');
    const declared = demoStudents(clock.now());
    expect(records).toHaveLength(declared.reduce((sum, student) => sum + 2 + (student.records.grade ? 1 : 0), 0));
    const byId = new Map(students.map((student) => [student.id as string, student]));
    for (const record of records) {
      const student = byId.get(record.studentId);
      expect(student).toBeDefined();
      if (student?.status === 'leaver' && record.date) expect(record.date <= student.leftAt).toBe(true);
      if (record.date) expect(record.date <= day(clock.now())).toBe(true);
    }
  });

  it('a second seed imports the same set again and writes nothing: every document as it was', async () => {
    const documents = async () => [...(await stored('directory')).filter((doc) => ['school', 'user', 'student', 'group', 'settings'].includes(doc.type)), ...(await stored('records'))]
      .map((doc) => `${doc.id as string} ${doc._etag as string}`)
      .sort();
    const before = await documents();
    const outcome = await seedDemoData(test.app.services, { url: test.url, keys: test.keys });
    expect(outcome.municipality).toBe('already present');
    expect(outcome.roster).toMatchObject({ status: 'completed', rejected: 0, operations: { writes: 0 } });
    expect(outcome.roster.files['users.csv']).toMatchObject({ created: 0, updated: 0, leaver: 0, unchanged: DEMO_STAFF.filter(inDemoRoster).length + demoStudents(clock.now()).length });
    expect(describeSeed(outcome)).toBe('already present, its roster imported again (0 changes)');
    expect(await documents()).toEqual(before);
  }, 240_000);
});
