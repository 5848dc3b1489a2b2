import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_ISSUER } from '../../local/dev-issuer.js';
import { allItems, bootstrapAdminToken, registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { csv, importRoster, rosterFiles, zip, type Enrollment, type GroupView, type Person, type RosterSet, type StudentView } from './oneroster-fixture.js';

const M = '1506';

const student = (index: number): Person => ({ sourcedId: `s-${index}`, givenName: `Elev${index}`, familyName: 'Nordmann', role: 'student', school: 'sch-a', grade: '04', birthDate: '2017-05-0' + index });
const enrolled = (classSourcedId: string, userSourcedId: string, role: Enrollment['role'] = 'student'): Enrollment => ({ sourcedId: `e-${classSourcedId}-${userSourcedId}`, classSourcedId, userSourcedId, role });

/** One school, a teacher, five pupils in four classes, and a fifth class. */
function before(): RosterSet {
  return {
    municipalityId: M,
    schools: [{ sourcedId: 'sch-a', name: 'Storhaug skole', organisationNumber: '974150601' }],
    people: [{ sourcedId: 't-1', givenName: 'Tiril', familyName: 'Lærer', role: 'teacher', school: 'sch-a', feide: 'tiril@a.example' }, ...[1, 2, 3, 4, 5].map(student)],
    classes: ['c-1', 'c-2', 'c-3', 'c-4', 'c-5'].map((sourcedId) => ({ sourcedId, title: sourcedId.toUpperCase(), school: 'sch-a', term: 'sy-2027' })),
    enrollments: [enrolled('c-1', 's-1'), enrolled('c-1', 's-4'), enrolled('c-2', 's-2'), enrolled('c-3', 's-3'), enrolled('c-4', 't-1', 'teacher'), enrolled('c-4', 's-5'), enrolled('c-5', 's-5')],
  };
}

/**
 * The next bulk file, with rows the import cannot read: Elev1's users row (a formula in the
 * name; so its enrollment is rejected too), Elev2's enrollment (a date that is no date),
 * class C-3's row (an unknown school), the teacher's enrollment in C-4 (no date). Elev4 and
 * class C-5 are really gone.
 */
function after(): RosterSet {
  const set = before();
  set.people = set.people.filter((person) => person.sourcedId !== 's-4').map((person) => (person.sourcedId === 's-1' ? { ...person, givenName: '=HYPERLINK("http://evil.example")' } : person));
  set.classes = set.classes.filter((cls) => cls.sourcedId !== 'c-5').map((cls) => (cls.sourcedId === 'c-3' ? { ...cls, school: 'sch-missing' } : cls));
  set.enrollments = set.enrollments
    .filter((enrollment) => enrollment.userSourcedId !== 's-4' && enrollment.classSourcedId !== 'c-5')
    .map((enrollment) => (enrollment.userSourcedId === 's-2' || enrollment.userSourcedId === 't-1' ? { ...enrollment, endDate: '31.12.2026' } : enrollment));
  return set;
}

describe('roster import: a rejected row is "could not read", not "gone"', () => {
  let test: TestApp;
  let admin: string;

  const list = async <T>(path: string): Promise<T[]> => (await test.request<{ items: T[] }>('GET', `/municipalities/${M}/${path}`, { token: admin })).body.items;

  beforeAll(async () => {
    test = await startTestApp({ env: { ROSTER_IDENTITY_ISSUER: DEV_ISSUER } });
    await registerMunicipality(test, M);
    admin = await bootstrapAdminToken(test, M);
  }, 60_000);

  afterAll(async () => {
    await test?.close();
  });

  it('in bulk mode keeps students, classes and memberships that a rejected row names, reports them as kept, and still applies the rules to the rest', async () => {
    expect((await importRoster(test, admin, M, zip(rosterFiles(before())))).status).toBe('completed');
    const run = await importRoster(test, admin, M, zip(rosterFiles(after())));
    expect(run.status).toBe('completed');
    expect(run.rejections.map(({ file, column }) => `${file}:${column}`).sort()).toEqual(
      // Elev1's enrollment refers to a users row that was rejected (their roles and demographics rows are not refused again).
      ['classes.csv:schoolSourcedId', 'enrollments.csv:classSourcedId', 'enrollments.csv:endDate', 'enrollments.csv:endDate', 'enrollments.csv:userSourcedId', 'users.csv:givenName'].sort(),
    );
    expect(run.rejections.find((rejection) => rejection.file === 'enrollments.csv' && rejection.column === 'userSourcedId')?.reason).toBe('refers to a user whose users.csv row was rejected');

    const students = new Map((await list<StudentView>('students?limit=100')).map((found) => [found.givenName, found]));
    const groups = new Map((await list<GroupView>('groups?limit=100')).map((group) => [group.name, group]));
    const id = (name: string) => students.get(name)?.id;
    const teacher = (await list<{ id: string; name: string }>('users?limit=100')).find((user) => user.name === 'Tiril Lærer')?.id;

    // Elev1's row could not be read: not a leaver, still in C-1.
    expect(students.get('Elev1')).toMatchObject({ status: 'active', groupIds: [groups.get('C-1')?.id] });
    // Elev2's enrollment could not be read: still in C-2.
    expect(groups.get('C-2')?.studentIds).toEqual([id('Elev2')]);
    expect(students.get('Elev2')?.groupIds).toEqual([groups.get('C-2')?.id]);
    // C-3's row could not be read: not closed, Elev3 still in it.
    expect(groups.get('C-3')?.closedAt).toBeUndefined();
    expect(groups.get('C-3')?.studentIds).toEqual([id('Elev3')]);
    // The teacher's enrollment could not be read: still the teacher of C-4.
    expect(groups.get('C-4')?.teacherIds).toEqual([teacher]);
    // What is really gone is still gone: Elev4 leaves (also C-1, which a rejected row names), C-5 closes.
    expect(students.get('Elev4')).toMatchObject({ status: 'leaver', groupIds: [] });
    expect(groups.get('C-1')?.studentIds).toEqual([id('Elev1')]);
    expect(groups.get('C-5')).toMatchObject({ closedAt: expect.any(String), studentIds: [] });

    expect(run.files['users.csv']).toMatchObject({ leaver: 1, kept: 1 });
    expect(run.files['classes.csv']).toMatchObject({ closed: 1, kept: 1 });
    expect(run.files['enrollments.csv']).toMatchObject({ kept: 4 });

    // The same file again: nothing to write, and the same rows are kept.
    const again = await importRoster(test, admin, M, zip(rosterFiles(after())));
    expect(again.operations.writes).toBe(0);
    expect(again.files['users.csv']).toMatchObject({ leaver: 0, kept: 1 });
  });

  it('in bulk mode makes a student missing from users.csv a leaver although roles, demographics and an ended enrollment still name them', async () => {
    const m = '1508';
    await registerMunicipality(test, m);
    const token = await bootstrapAdminToken(test, m);
    const first = { ...before(), municipalityId: m };
    expect((await importRoster(test, token, m, zip(rosterFiles(first)))).status).toBe('completed');
    // Elev4 is gone from users.csv, but the school system still lists their role, birth date and ended enrollment in C-1.
    const next = { ...first, people: first.people.filter((person) => person.sourcedId !== 's-4'), enrollments: first.enrollments.filter((enrollment) => enrollment.userSourcedId !== 's-4') };
    const files = rosterFiles(next);
    files['roles.csv'] = `${String(files['roles.csv'])}${csv([['role-s-4', 'active', '2026-06-01T00:00:00Z', 's-4', 'primary', 'student', '', '', 'sch-a', '']])}`;
    files['demographics.csv'] = `${String(files['demographics.csv'])}${csv([['s-4', 'active', '2026-06-01T00:00:00Z', '2017-05-04', '', '', '', '', '', '', '', '', '', '', '', '']])}`;
    files['enrollments.csv'] = `${String(files['enrollments.csv'])}${csv([['e-c-1-s-4', 'active', '2026-06-01T00:00:00Z', 'c-1', '', 's-4', 'student', 'false', '', '2026-06-19']])}`;
    const run = await importRoster(test, token, m, zip(files));
    expect(run.status).toBe('completed');
    // The rows are still reported, but they hold nothing: the bulk users.csv says Elev4 is gone.
    expect(run.rejections.map(({ file, column }) => `${file}:${column}`).sort()).toEqual(['demographics.csv:sourcedId', 'enrollments.csv:userSourcedId', 'roles.csv:userSourcedId']);
    expect(run.files['users.csv']).toMatchObject({ leaver: 1, kept: 0 });

    const listOf = async <T>(path: string): Promise<T[]> => (await test.request<{ items: T[] }>('GET', `/municipalities/${m}/${path}`, { token })).body.items;
    const students = new Map((await listOf<StudentView>('students?limit=100')).map((found) => [found.givenName, found]));
    const groups = new Map((await listOf<GroupView>('groups?limit=100')).map((group) => [group.name, group]));
    expect(students.get('Elev4')).toMatchObject({ status: 'leaver', groupIds: [] });
    expect(groups.get('C-1')?.studentIds).toEqual([students.get('Elev1')?.id]);
  });

  it('refuses an enrollment past the 500-member limit as a rejected row that holds its student, and never puts held members back past the limit', async () => {
    const m = '1509';
    await registerMunicipality(test, m);
    const token = await bootstrapAdminToken(test, m);
    const pupil = (index: number): Person => ({ sourcedId: `p-${index}`, givenName: `Elev${index}`, familyName: 'Nordmann', role: 'student', school: 'sch-a', grade: '04', birthDate: '2017-05-05' });
    const set = (enrollments: Enrollment[]): RosterSet => ({
      municipalityId: m,
      schools: [{ sourcedId: 'sch-a', name: 'Storhaug skole', organisationNumber: '974150601' }],
      people: Array.from({ length: 501 }, (_, index) => pupil(index)),
      classes: ['c-big', 'c-e', 'c-f'].map((sourcedId) => ({ sourcedId, title: sourcedId.toUpperCase(), school: 'sch-a', term: 'sy-2027' })),
      enrollments,
    });
    const first = Array.from({ length: 500 }, (_, index) => enrolled('c-big', `p-${index}`));
    expect((await importRoster(test, token, m, zip(rosterFiles(set([...first, enrolled('c-e', 'p-500'), enrolled('c-f', 'p-499')])))))).toMatchObject({ status: 'completed', failedWrites: 0 });
    // Elev500 moves into C-BIG ahead of the rest, so Elev499's row is the 501st; Elev499 is no longer listed in C-F.
    const run = await importRoster(test, token, m, zip(rosterFiles(set([enrolled('c-big', 'p-500'), ...first]))));
    expect(run.status).toBe('completed');
    expect(run.rejections.map(({ file, column, reason }) => `${file}:${column}:${reason}`)).toEqual(['enrollments.csv:classSourcedId:holds more than 500 students']);

    const groups = new Map((await test.request<{ items: GroupView[] }>('GET', `/municipalities/${m}/groups?limit=100`, { token })).body.items.map((group) => [group.name, group]));
    const byName = new Map((await allItems<StudentView>(test, `/municipalities/${m}/students?limit=100`, token)).map((found) => [found.givenName, found.id]));
    expect(groups.get('C-BIG')?.studentIds).toHaveLength(500);
    expect(groups.get('C-BIG')?.studentIds).toContain(byName.get('Elev500'));
    // The refused row holds Elev499: still in C-F, which the file no longer lists them in.
    expect(groups.get('C-F')?.studentIds).toEqual([byName.get('Elev499')]);
    expect(groups.get('C-E')?.studentIds).toEqual([]);
  });

  it('refuses a teacher enrollment past the 500-member limit as a rejected row, and the group keeps the first 500 teachers', async () => {
    const m = '1510';
    await registerMunicipality(test, m);
    const token = await bootstrapAdminToken(test, m);
    const teacher = (index: number): Person => ({ sourcedId: `t-${index}`, givenName: `Lærer${index}`, familyName: 'Nordmann', role: 'teacher', school: 'sch-a', feide: `t-${index}@a.example` });
    const run = await importRoster(
      test,
      token,
      m,
      zip(
        rosterFiles({
          municipalityId: m,
          schools: [{ sourcedId: 'sch-a', name: 'Storhaug skole', organisationNumber: '974150601' }],
          people: Array.from({ length: 501 }, (_, index) => teacher(index)),
          classes: [{ sourcedId: 'c-big', title: 'C-BIG', school: 'sch-a', term: 'sy-2027' }],
          enrollments: Array.from({ length: 501 }, (_, index) => enrolled('c-big', `t-${index}`, 'teacher')),
        }),
      ),
    );
    expect(run).toMatchObject({ status: 'completed', failedWrites: 0 });
    expect(run.rejections.map(({ file, line, column, reason }) => `${file}:${line}:${column}:${reason}`)).toEqual(['enrollments.csv:502:classSourcedId:holds more than 500 teachers']);
    const [group] = (await test.request<{ items: GroupView[] }>('GET', `/municipalities/${m}/groups?limit=100`, { token })).body.items;
    const staff = await allItems<{ id: string; name: string }>(test, `/municipalities/${m}/users?limit=100`, token);
    const last = staff.find((user) => user.name.startsWith('Lærer500 '));
    expect(group?.teacherIds).toHaveLength(500);
    expect(last).toBeDefined();
    expect(group?.teacherIds).not.toContain(last?.id);
  });
});
