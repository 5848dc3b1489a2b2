import { describe, expect, it } from 'vitest';
import { DEV_ISSUER } from '../../local/dev-issuer.js';
import { freshMunicipalities } from '../support/test-app.js';
import { csv, importRoster, manifest, rosterFiles, zip, type Enrollment, type GroupView, type Person, type RosterSet, type StudentView } from './oneroster-fixture.js';

const DAY = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);

const pupil = (index: number, school = 'sch-a'): Person => ({ sourcedId: `s-${index}`, givenName: `Elev${index}`, familyName: 'Nordmann', role: 'student', school, grade: '05', birthDate: '2016-04-01' });
const enrolled = (classSourcedId: string, userSourcedId: string, extra: Partial<Enrollment> = {}): Enrollment => ({ sourcedId: `e-${classSourcedId}-${userSourcedId}`, classSourcedId, userSourcedId, role: 'student', ...extra });

/** Two schools, a teacher at each, three pupils in 5A at the first. */
function twoSchools(municipalityId: string): RosterSet {
  return {
    municipalityId,
    schools: [
      { sourcedId: 'sch-a', name: 'Lilleby skole', organisationNumber: '974000101' },
      { sourcedId: 'sch-b', name: 'Storeby skole', organisationNumber: '974000102' },
    ],
    people: [
      { sourcedId: 't-1', givenName: 'Tone', familyName: 'Lærer', role: 'teacher', school: 'sch-a', feide: `tone-${municipalityId}@a.example` },
      { sourcedId: 't-2', givenName: 'Tor', familyName: 'Lærer', role: 'teacher', school: 'sch-b', feide: `tor-${municipalityId}@a.example` },
      pupil(1),
      pupil(2),
      pupil(3),
    ],
    classes: [
      { sourcedId: 'c-5a', title: '5A', school: 'sch-a', term: 'sy-2027' },
      { sourcedId: 'c-5b', title: '5B', school: 'sch-b', term: 'sy-2027' },
    ],
    enrollments: [enrolled('c-5a', 't-1', { role: 'teacher' }), enrolled('c-5b', 't-2', { role: 'teacher' }), enrolled('c-5a', 's-1'), enrolled('c-5a', 's-2'), enrolled('c-5a', 's-3')],
  };
}

const USERS_HEADER = ['sourcedId', 'status', 'userIds', 'givenName', 'familyName', 'email', 'grades', 'primaryOrgSourcedId'];
const ROLES_HEADER = ['sourcedId', 'status', 'userSourcedId', 'roleType', 'role', 'orgSourcedId'];
const DATED_ROLES_HEADER = [...ROLES_HEADER, 'beginDate', 'endDate'];
const ENROLLMENTS_HEADER = ['sourcedId', 'status', 'classSourcedId', 'userSourcedId', 'role'];

interface Staff {
  id: string;
  name: string;
  roles: string[];
  schoolIds: string[];
}

describe('roster import: memberships, schools and leavers follow the file whatever its order, in bulk and in a delta', () => {
  const app = freshMunicipalities('19', { env: { ROSTER_IDENTITY_ISSUER: DEV_ISSUER } });

  /** A municipality of its own, imported from `set`, and readers of its directory through the API. */
  async function imported(set: (municipalityId: string) => RosterSet = twoSchools) {
    const { test } = app;
    const { municipalityId, admin, list } = await app.fresh();
    const first = await importRoster(test, admin, municipalityId, zip(rosterFiles(set(municipalityId))));
    expect(first.rejections).toEqual([]);
    expect(first.status).toBe('completed');
    const schools = await list<{ id: string; name: string }>('schools');
    return {
      municipalityId,
      admin,
      delta: async (files: Record<string, string>, { dryRun = false } = {}) => {
        const run = await importRoster(test, admin, municipalityId, zip({ 'manifest.csv': manifest('delta', Object.keys(files).map((name) => name.replace('.csv', ''))), ...files }), { mode: 'delta', dryRun });
        // A refused file changes nothing either: an assertion that nothing changed must not pass for that reason.
        expect(run.status, run.failure ?? '').toBe('completed');
        return run;
      },
      student: async (givenName: string) => (await list<StudentView>('students?limit=100')).find((found) => found.givenName === givenName),
      group: async (name: string) => (await list<GroupView>('groups?limit=100')).find((found) => found.name === name),
      staff: async (name: string) => (await list<Staff>('users?limit=100')).find((found) => found.name === name),
      schoolId: (name: string) => schools.find((found) => found.name === name)?.id,
    };
  }

  it('bulk: a pupil with an open enrollment and an ended one in the same class, the ended one listed last, stays a member', async () => {
    const { municipalityId, admin, student, group } = await imported();
    const set = twoSchools(municipalityId);
    set.enrollments.push({ sourcedId: 'e-old-s1', classSourcedId: 'c-5a', userSourcedId: 's-1', role: 'student', endDate: day(-30) });
    const run = await importRoster(app.test, admin, municipalityId, zip(rosterFiles(set)));
    expect(run.rejections).toEqual([]);
    const elev1 = await student('Elev1');
    expect(elev1?.status).toBe('active');
    expect((await group('5A'))?.studentIds).toContain(elev1?.id);
    expect(elev1?.groupIds).toHaveLength(1);
  });

  it('delta: an enrollment issued again (the new row, then the old one tobedeleted) keeps the member', async () => {
    const { delta, student, group } = await imported();
    const run = await delta({ 'enrollments.csv': csv([ENROLLMENTS_HEADER, ['e-new-s1', 'active', 'c-5a', 's-1', 'student'], ['e-c-5a-s-1', 'tobedeleted', 'c-5a', 's-1', 'student']]) });
    expect(run.rejections).toEqual([]);
    expect((await group('5A'))?.studentIds).toContain((await student('Elev1'))?.id);
  });

  it('delta: a full group of 500 that swaps one pupil takes the new one, although its row comes before the removal', async () => {
    const big = (municipalityId: string) => {
      const set = twoSchools(municipalityId);
      for (let index = 10; index < 510; index += 1) set.people.push({ ...pupil(index), givenName: `P${index}` });
      set.enrollments = [enrolled('c-5a', 't-1', { role: 'teacher' }), ...Array.from({ length: 500 }, (_, index) => enrolled('c-5a', `s-${index + 10}`))];
      return set;
    };
    const { delta, student, group } = await imported(big);
    const run = await delta({ 'enrollments.csv': csv([ENROLLMENTS_HEADER, ['e-c-5a-s-1', 'active', 'c-5a', 's-1', 'student'], ['e-c-5a-s-10', 'tobedeleted', 'c-5a', 's-10', 'student']]) });
    expect(run.rejections).toEqual([]);
    const members = (await group('5A'))?.studentIds ?? [];
    expect(members).toHaveLength(500);
    expect(members).toContain((await student('Elev1'))?.id);
  }, 120_000);

  it('bulk: a pupil who moved school, whose ended enrollment at the old one is still in the file, leaves the old class without a rejection', async () => {
    const { municipalityId, admin, student, group } = await imported();
    const set = twoSchools(municipalityId);
    set.people = set.people.map((person) => (person.sourcedId === 's-1' ? { ...person, school: 'sch-b' } : person));
    set.enrollments = set.enrollments.map((enrollment) => (enrollment.sourcedId === 'e-c-5a-s-1' ? { ...enrollment, endDate: day(-5) } : enrollment));
    set.enrollments.push(enrolled('c-5b', 's-1'));
    const run = await importRoster(app.test, admin, municipalityId, zip(rosterFiles(set)));
    const elev1 = await student('Elev1');
    expect({ rejections: run.rejections, in5A: (await group('5A'))?.studentIds.includes(elev1?.id ?? ''), groups: elev1?.groupIds }).toEqual({
      rejections: [],
      in5A: false,
      groups: [(await group('5B'))?.id],
    });
  });

  it('delta: a teacher who became an administrator, whose teacher enrollment the delta deletes, leaves the class', async () => {
    const { municipalityId, delta, group, staff } = await imported();
    const run = await delta({
      'users.csv': csv([USERS_HEADER, ['t-1', 'active', `{Feide:tone-${municipalityId}@a.example}`, 'Tone', 'Lærer', 'tone@skole.example', '', 'sch-a']]),
      'roles.csv': csv([ROLES_HEADER, ['role-t-1', 'tobedeleted', 't-1', 'primary', 'teacher', 'sch-a'], ['role-t-1-adm', 'active', 't-1', 'primary', 'administrator', 'sch-a']]),
      'enrollments.csv': csv([ENROLLMENTS_HEADER, ['e-c-5a-t-1', 'tobedeleted', 'c-5a', 't-1', 'teacher']]),
    });
    expect(run.rejections).toEqual([]);
    expect((await staff('Tone Lærer'))?.roles).toEqual(['school-admin']);
    expect((await group('5A'))?.teacherIds).toEqual([]);
  });

  it('delta: a name correction of a pupil who left keeps them a leaver; an enrollment in the same delta brings them back', async () => {
    const { municipalityId, admin, delta, student } = await imported();
    const set = twoSchools(municipalityId);
    set.enrollments = set.enrollments.map((enrollment) => (enrollment.userSourcedId === 's-3' || enrollment.userSourcedId === 's-2' ? { ...enrollment, endDate: day(-3) } : enrollment));
    await importRoster(app.test, admin, municipalityId, zip(rosterFiles(set)));
    expect(await student('Elev3')).toMatchObject({ status: 'leaver', leftAt: day(-3) });
    const run = await delta({
      'users.csv': csv([USERS_HEADER, ['s-3', 'active', '', 'Elev3', 'Rettet', '', '05', 'sch-a'], ['s-2', 'active', '', 'Elev2', 'Nordmann', '', '05', 'sch-a']]),
      'enrollments.csv': csv([ENROLLMENTS_HEADER, ['e-back-s2', 'active', 'c-5a', 's-2', 'student']]),
    });
    expect(run.rejections).toEqual([]);
    expect(await student('Elev3')).toMatchObject({ familyName: 'Rettet', status: 'leaver', leftAt: day(-3) });
    expect(await student('Elev2')).toMatchObject({ status: 'active', groupIds: [expect.any(String)] });
    expect((await student('Elev2'))?.leftAt).toBeUndefined();
  });

  it('delta: an enrollment that has not begun is rejected with its reason, not dropped without a word', async () => {
    const { delta, group } = await imported();
    const run = await delta({
      'classes.csv': csv([['sourcedId', 'status', 'title', 'schoolSourcedId', 'termSourcedIds'], ['c-6a', 'active', '6A', 'sch-a', 'sy-2027']]),
      'enrollments.csv': csv([[...ENROLLMENTS_HEADER, 'beginDate'], ['e-later-s1', 'active', 'c-6a', 's-1', 'student', day(3)]]),
    });
    expect(run.rejections).toEqual([{ file: 'enrollments.csv', line: 2, column: 'beginDate', reason: expect.stringContaining('send it again once it has begun') }]);
    expect((await group('6A'))?.studentIds).toEqual([]);
  });

  it('delta: a 1.2 row of a teacher at two schools (its primary org, no roles rows) keeps both; roles rows add a school and end one', async () => {
    const { municipalityId, admin, delta, staff, schoolId } = await imported();
    const files = rosterFiles(twoSchools(municipalityId));
    const roles = `${files['roles.csv'] as string}${csv([['role-t-1-b', 'active', '2026-06-01T00:00:00Z', 't-1', 'secondary', 'teacher', '', '', 'sch-b', '']])}`;
    expect((await importRoster(app.test, admin, municipalityId, zip({ ...files, 'roles.csv': roles }))).rejections).toEqual([]);
    const both = [schoolId('Lilleby skole'), schoolId('Storeby skole')].sort();
    expect((await staff('Tone Lærer'))?.schoolIds.sort()).toEqual(both);
    const renamed = await delta({ 'users.csv': csv([USERS_HEADER, ['t-1', 'active', `{Feide:tone-${municipalityId}@a.example}`, 'Tone', 'Gift', 'tone@skole.example', '', 'sch-a']]) });
    expect(renamed.rejections).toEqual([]);
    expect((await staff('Tone Gift'))?.schoolIds.sort()).toEqual(both);
    // Tor (Storeby) also teaches at Lilleby from now on: his row comes with the new school's roles row only.
    const added = await delta({
      'users.csv': csv([USERS_HEADER, ['t-2', 'active', `{Feide:tor-${municipalityId}@a.example}`, 'Tor', 'Lærer', 'tor@skole.example', '', 'sch-b']]),
      'roles.csv': csv([ROLES_HEADER, ['role-t-2-a', 'active', 't-2', 'secondary', 'teacher', 'sch-a']]),
    });
    expect(added.rejections).toEqual([]);
    expect((await staff('Tor Lærer'))?.schoolIds.sort()).toEqual(both);
    // And Tone stops teaching at Storeby: her roles row there is deleted.
    const ended = await delta({
      'users.csv': csv([USERS_HEADER, ['t-1', 'active', `{Feide:tone-${municipalityId}@a.example}`, 'Tone', 'Gift', 'tone@skole.example', '', 'sch-a']]),
      'roles.csv': csv([ROLES_HEADER, ['role-t-1-b', 'tobedeleted', 't-1', 'secondary', 'teacher', 'sch-b']]),
    });
    expect(ended.rejections).toEqual([]);
    expect((await staff('Tone Gift'))?.schoolIds).toEqual([schoolId('Lilleby skole')]);
  });

  it('delta: roles rows that give a teacher another role at a new school are refused, as in bulk: the teacher would administer their own school', async () => {
    const { municipalityId, delta, staff, schoolId } = await imported();
    const run = await delta({
      'users.csv': csv([USERS_HEADER, ['t-1', 'active', `{Feide:tone-${municipalityId}@a.example}`, 'Tone', 'Lærer', 'tone@skole.example', '', 'sch-a']]),
      'roles.csv': csv([ROLES_HEADER, ['role-t-1-b', 'active', 't-1', 'secondary', 'administrator', 'sch-b']]),
    });
    expect(run.rejections).toEqual([{ file: 'users.csv', line: 2, column: 'sourcedId', reason: expect.stringContaining('register them through the API') }]);
    expect(await staff('Tone Lærer')).toMatchObject({ roles: ['teacher'], schoolIds: [schoolId('Lilleby skole')] });
  });

  it('delta: ending one of two roles at a school keeps the school and the other role; giving a second role there keeps the first', async () => {
    const adminToo = (municipalityId: string) => {
      const set = twoSchools(municipalityId);
      set.people.push({ sourcedId: 't-3', givenName: 'Turid', familyName: 'Rektor', role: 'teacher', school: 'sch-a', feide: `turid-${municipalityId}@a.example` });
      return set;
    };
    const { municipalityId, admin, delta, staff, schoolId } = await imported(adminToo);
    const files = rosterFiles(adminToo(municipalityId));
    const roles = `${files['roles.csv'] as string}${csv([['role-t-3-adm', 'active', '2026-06-01T00:00:00Z', 't-3', 'secondary', 'administrator', '', '', 'sch-a', '']])}`;
    expect((await importRoster(app.test, admin, municipalityId, zip({ ...files, 'roles.csv': roles }))).rejections).toEqual([]);
    expect((await staff('Turid Rektor'))?.roles).toEqual(['school-admin', 'teacher']);
    const ended = await delta({
      'users.csv': csv([USERS_HEADER, ['t-3', 'active', `{Feide:turid-${municipalityId}@a.example}`, 'Turid', 'Rektor', 'turid@skole.example', '', 'sch-a']]),
      'roles.csv': csv([ROLES_HEADER, ['role-t-3', 'tobedeleted', 't-3', 'primary', 'teacher', 'sch-a']]),
    });
    expect(ended.rejections).toEqual([]);
    expect(await staff('Turid Rektor')).toMatchObject({ roles: ['school-admin'], schoolIds: [schoolId('Lilleby skole')] });
    // Tone, a teacher, becomes an administrator too at her school: her teacher row did not change, so it is not sent.
    const added = await delta({
      'users.csv': csv([USERS_HEADER, ['t-1', 'active', `{Feide:tone-${municipalityId}@a.example}`, 'Tone', 'Lærer', 'tone@skole.example', '', 'sch-a']]),
      'roles.csv': csv([ROLES_HEADER, ['role-t-1-adm', 'active', 't-1', 'secondary', 'administrator', 'sch-a']]),
    });
    expect(added.rejections).toEqual([]);
    expect(await staff('Tone Lærer')).toMatchObject({ roles: ['school-admin', 'teacher'], schoolIds: [schoolId('Lilleby skole')] });
  });

  it('delta: a refused staff row does not let its enrollment make the teacher a member of a class at the other school', async () => {
    const { municipalityId, delta, staff, group } = await imported();
    const run = await delta({
      'users.csv': csv([USERS_HEADER, ['t-1', 'active', `{Feide:tone-${municipalityId}@a.example}`, 'Tone', 'Lærer', 'tone@skole.example', '', 'sch-a']]),
      'roles.csv': csv([ROLES_HEADER, ['role-t-1-b', 'active', 't-1', 'secondary', 'administrator', 'sch-b']]),
      'enrollments.csv': csv([ENROLLMENTS_HEADER, ['e-5b-t1', 'active', 'c-5b', 't-1', 'teacher']]),
    });
    expect(run.rejections.map((rejection) => `${rejection.file} ${rejection.column}`)).toEqual(['users.csv sourcedId', 'enrollments.csv userSourcedId']);
    expect((await group('5B'))?.teacherIds).not.toContain((await staff('Tone Lærer'))?.id);
  });

  it('bulk: a teacher who became principal leaves the class whose enrollment ended, although another teacher enrollment of theirs is refused (and holds them)', async () => {
    const { municipalityId, admin, group } = await imported();
    const set = twoSchools(municipalityId);
    set.people = set.people.map((person) => (person.sourcedId === 't-1' ? { ...person, role: 'administrator' } : person));
    set.classes.push({ sourcedId: 'c-kor', title: 'Kor', school: 'sch-a', term: 'sy-2027' });
    set.enrollments = set.enrollments.map((enrollment) => (enrollment.sourcedId === 'e-c-5a-t-1' ? { ...enrollment, endDate: day(-3) } : enrollment));
    set.enrollments.push(enrolled('c-kor', 't-1', { role: 'teacher' }));
    const run = await importRoster(app.test, admin, municipalityId, zip(rosterFiles(set)));
    expect(run.rejections).toEqual([expect.objectContaining({ file: 'enrollments.csv', reason: expect.stringContaining('without the teacher role') })]);
    expect((await group('5A'))?.teacherIds).toEqual([]);
  });

  it('delta: a pupil whose enrollment the delta ends leaves a class whose own row it rejects (and so holds)', async () => {
    const { delta, student, group } = await imported();
    const run = await delta({
      'classes.csv': csv([['sourcedId', 'status', 'title', 'schoolSourcedId', 'termSourcedIds'], ['c-5a', 'active', '=5A', 'sch-a', 'sy-2027']]),
      'enrollments.csv': csv([ENROLLMENTS_HEADER, ['e-c-5a-s-1', 'tobedeleted', 'c-5a', 's-1', 'student']]),
    });
    expect(run.rejections).toEqual([expect.objectContaining({ file: 'classes.csv', column: 'title' })]);
    const members = (await group('5A'))?.studentIds;
    expect(members).not.toContain((await student('Elev1'))?.id);
    expect(members).toContain((await student('Elev2'))?.id);
  });

  it('delta: an enrollments file alone cannot make a teacher or a pupil of one school a member of a class at another', async () => {
    const { delta, group } = await imported();
    const run = await delta({ 'enrollments.csv': csv([ENROLLMENTS_HEADER, ['e-5b-t1', 'active', 'c-5b', 't-1', 'teacher'], ['e-5b-s1', 'active', 'c-5b', 's-1', 'student']]) });
    expect(run.rejections).toEqual([
      { file: 'enrollments.csv', line: 2, column: 'userSourcedId', reason: "refers to a user who is not at the class's school" },
      { file: 'enrollments.csv', line: 3, column: 'userSourcedId', reason: "refers to a user who is not at the class's school" },
    ]);
    expect(await group('5B')).toMatchObject({ teacherIds: [expect.any(String)], studentIds: [] });
  });

  it('delta: a stored teacher’s row without orgs can be enrolled in a class the same delta adds at their school', async () => {
    const { municipalityId, delta, group } = await imported();
    const run = await delta({
      'users.csv': csv([USERS_HEADER, ['t-1', 'active', `{Feide:tone-${municipalityId}@a.example}`, 'Tone', 'Gift', 'tone@skole.example', '', '']]),
      'classes.csv': csv([['sourcedId', 'status', 'title', 'schoolSourcedId', 'termSourcedIds'], ['c-kor', 'active', 'Kor', 'sch-a', 'sy-2027']]),
      'enrollments.csv': csv([ENROLLMENTS_HEADER, ['e-kor-t1', 'active', 'c-kor', 't-1', 'teacher'], ['e-kor-s1', 'active', 'c-kor', 's-1', 'student']]),
    });
    expect(run.rejections).toEqual([]);
    expect((await group('Kor'))?.teacherIds).toHaveLength(1);
  });

  it('delta: roles rows that begin in August, at her school or another, change nothing of a teacher today, nor refuse her row', async () => {
    const { municipalityId, delta, staff, schoolId } = await imported();
    const run = await delta({
      'users.csv': csv([USERS_HEADER, ['t-1', 'active', `{Feide:tone-${municipalityId}@a.example}`, 'Tone', 'Lærer', 'tone@skole.example', '', 'sch-a']]),
      'roles.csv': csv([DATED_ROLES_HEADER, ['role-t-1-adm', 'active', 't-1', 'secondary', 'principal', 'sch-a', day(60), '']]),
    });
    expect(run.rejections).toEqual([]);
    expect(await staff('Tone Lærer')).toMatchObject({ roles: ['teacher'], schoolIds: [schoolId('Lilleby skole')] });
    const elsewhere = await delta({
      'users.csv': csv([USERS_HEADER, ['t-1', 'active', `{Feide:tone-${municipalityId}@a.example}`, 'Tone', 'Lærer', 'tone@skole.example', '', 'sch-a']]),
      'roles.csv': csv([DATED_ROLES_HEADER, ['role-t-1-b', 'active', 't-1', 'secondary', 'teacher', 'sch-b', day(60), '']]),
    });
    expect(elsewhere.rejections).toEqual([]);
    expect((await staff('Tone Lærer'))?.schoolIds).toEqual([schoolId('Lilleby skole')]);
    const promoted = await delta({
      'users.csv': csv([USERS_HEADER, ['t-1', 'active', `{Feide:tone-${municipalityId}@a.example}`, 'Tone', 'Lærer', 'tone@skole.example', '', 'sch-a']]),
      'roles.csv': csv([DATED_ROLES_HEADER, ['role-t-1-b', 'active', 't-1', 'secondary', 'principal', 'sch-b', day(60), '']]),
      'enrollments.csv': csv([ENROLLMENTS_HEADER, ['e-c-5a-t-1', 'active', 'c-5a', 't-1', 'teacher']]),
    });
    expect(promoted.rejections).toEqual([]);
  });

  it('bulk: a new teacher whose only role begins in August gets no account today', async () => {
    const { municipalityId, admin, staff } = await imported();
    const files = rosterFiles({ ...twoSchools(municipalityId), people: [...twoSchools(municipalityId).people, { sourcedId: 't-9', givenName: 'Ny', familyName: 'Lærer', role: 'teacher', school: 'sch-a', feide: `ny-${municipalityId}@a.example` }] });
    const roles = (files['roles.csv'] as string).replace(/(role-t-9,active,[^,]*,t-9,primary,teacher,)(,)/, `$1${day(60)}$2`);
    expect(roles).toContain(day(60));
    const run = await importRoster(app.test, admin, municipalityId, zip({ ...files, 'roles.csv': roles }));
    expect(run.rejections).toEqual([]);
    expect(await staff('Ny Lærer')).toBeUndefined();
  });


  it('delta: a pupil held by an enrollment past a full group’s limit is not put back into a class their ended row left', async () => {
    const big = (municipalityId: string) => {
      const set = twoSchools(municipalityId);
      for (let index = 10; index < 510; index += 1) set.people.push({ ...pupil(index), givenName: `P${index}` });
      set.classes.push({ sourcedId: 'c-6a', title: '6A', school: 'sch-a', term: 'sy-2027' });
      set.enrollments = [enrolled('c-5a', 't-1', { role: 'teacher' }), enrolled('c-6a', 's-1'), enrolled('c-6a', 's-2'), ...Array.from({ length: 500 }, (_, index) => enrolled('c-5a', `s-${index + 10}`))];
      return set;
    };
    const { delta, student, group } = await imported(big);
    const run = await delta({ 'enrollments.csv': csv([ENROLLMENTS_HEADER, ['e-c-6a-s-1', 'tobedeleted', 'c-6a', 's-1', 'student'], ['e-c-5a-s-1', 'active', 'c-5a', 's-1', 'student']]) });
    expect(run.rejections).toEqual([expect.objectContaining({ column: 'classSourcedId', reason: expect.stringContaining('holds more than 500') })]);
    expect((await group('6A'))?.studentIds).not.toContain((await student('Elev1'))?.id);
  }, 180_000);


  it('delta: a teacher who also has a school registered through the API cannot be put into a class of another school by an enrollments file', async () => {
    const { admin, delta, staff, group, municipalityId } = await imported();
    const made = await app.test.request<{ id: string }>('POST', `/municipalities/${municipalityId}/schools`, { token: admin, body: { name: 'API skole' } });
    expect(made.status).toBe(201);
    const tone = await staff('Tone Lærer');
    const got = await app.test.request<Staff>('GET', `/municipalities/${municipalityId}/users/${tone?.id}`, { token: admin });
    const patched = await app.test.request('PATCH', `/municipalities/${municipalityId}/users/${tone?.id}`, { token: admin, headers: { 'if-match': got.headers.get('etag') ?? '' }, body: { schoolIds: [...(tone?.schoolIds ?? []), made.body.id] } });
    expect(patched.status).toBe(200);
    const run = await delta({ 'enrollments.csv': csv([ENROLLMENTS_HEADER, ['e-5b-t1', 'active', 'c-5b', 't-1', 'teacher']]) });
    expect(run.rejections).toEqual([expect.objectContaining({ reason: "refers to a user who is not at the class's school" })]);
    expect((await group('5B'))?.teacherIds).not.toContain(tone?.id);
  });


  it('bulk: an administrator role at the district does not make a teacher school-admin of her school', async () => {
    const { municipalityId, admin, staff } = await imported();
    const files = rosterFiles(twoSchools(municipalityId));
    const roles = `${files['roles.csv'] as string}${csv([['role-t-1-d', 'active', '2026-06-01T00:00:00Z', 't-1', 'secondary', 'administrator', '', '', `district-${municipalityId}`, '']])}`;
    const run = await importRoster(app.test, admin, municipalityId, zip({ ...files, 'roles.csv': roles }));
    expect({ status: run.status, rejections: run.rejections }).toEqual({ status: 'completed', rejections: [] });
    expect((await staff('Tone Lærer'))?.roles).toEqual(['teacher']);
  });

  it('delta: a staff row the planner refuses (another login identity) does not let its enrollment put her into a class at another school; a dry run counts the same', async () => {
    const { municipalityId, delta, staff, group } = await imported();
    const files = {
      'users.csv': csv([USERS_HEADER, ['t-1', 'active', `{Feide:other-${municipalityId}@a.example}`, 'Tone', 'Lærer', 'tone@skole.example', '', 'sch-a']]),
      'roles.csv': csv([ROLES_HEADER, ['role-t-1-b', 'active', 't-1', 'secondary', 'teacher', 'sch-b']]),
      'enrollments.csv': csv([ENROLLMENTS_HEADER, ['e-5b-t1', 'active', 'c-5b', 't-1', 'teacher']]),
    };
    const dry = await delta(files, { dryRun: true });
    const run = await delta(files);
    expect({ files: dry.files, rejected: dry.rejected }).toEqual({ files: run.files, rejected: run.rejected });
    expect(run.rejections.map((rejection) => `${rejection.file} ${rejection.column}`)).toEqual(['users.csv userIds', 'enrollments.csv userSourcedId']);
    const tone = await staff('Tone Lærer');
    expect(tone?.schoolIds).toHaveLength(1);
    expect((await group('5B'))?.teacherIds).not.toContain(tone?.id);
  });

  it('delta: a teacher registered through the API and linked by her login keeps the school the delta does not name, and gets no role there it does not give', async () => {
    const { municipalityId, admin, delta, staff, schoolId } = await imported();
    const both = [schoolId('Lilleby skole'), schoolId('Storeby skole')].sort();
    const registered = async (name: string, subject: string) =>
      expect(
        (
          await app.test.request('POST', `/municipalities/${municipalityId}/users`, {
            token: admin,
            body: { name, email: `${subject}@skole.example`, roles: ['teacher'], schoolIds: both, identity: { issuer: DEV_ISSUER, subject: `${subject}-${municipalityId}@a.example` } },
          })
        ).status,
      ).toBe(201);
    await registered('Api Lærer', 'api');
    await registered('Api Rektor', 'rektor');
    const run = await delta({
      'users.csv': csv([USERS_HEADER, ['t-api', 'active', `{Feide:api-${municipalityId}@a.example}`, 'Api', 'Lærer', 'api@skole.example', '', 'sch-a'], ['t-rektor', 'active', `{Feide:rektor-${municipalityId}@a.example}`, 'Api', 'Rektor', 'rektor@skole.example', '', 'sch-a']]),
      'roles.csv': csv([ROLES_HEADER, ['role-t-api', 'active', 't-api', 'primary', 'teacher', 'sch-a'], ['role-t-rektor', 'active', 't-rektor', 'primary', 'administrator', 'sch-a']]),
    });
    expect(run.rejections).toEqual([{ file: 'users.csv', line: 3, column: 'sourcedId', reason: expect.stringContaining('register them through the API') }]);
    expect((await staff('Api Lærer'))?.schoolIds.sort()).toEqual(both);
    expect(await staff('Api Rektor')).toMatchObject({ roles: ['teacher'] });
  });

  it('bulk: a June export’s enrollment at the school a pupil moves to in August is neither refused nor a hold on that class', async () => {
    const withElev4 = (municipalityId: string) => {
      const set = twoSchools(municipalityId);
      set.people.push(pupil(4, 'sch-b'));
      set.enrollments.push(enrolled('c-5b', 's-4'));
      return set;
    };
    const { municipalityId, admin, group, student } = await imported(withElev4);
    const set = withElev4(municipalityId);
    set.enrollments = set.enrollments.filter((enrollment) => enrollment.userSourcedId !== 's-4');
    set.enrollments.push(enrolled('c-5b', 's-1', { beginDate: day(30) }));
    const files = rosterFiles(set);
    const roles = `${files['roles.csv'] as string}${csv([['role-s-1-b', 'active', '2026-06-01T00:00:00Z', 's-1', 'secondary', 'student', day(30), '', 'sch-b', '']])}`;
    const run = await importRoster(app.test, admin, municipalityId, zip({ ...files, 'roles.csv': roles }));
    expect({ status: run.status, rejections: run.rejections, elev4In5B: (await group('5B'))?.studentIds.includes((await student('Elev4'))?.id ?? '') }).toEqual({ status: 'completed', rejections: [], elev4In5B: false });
  });

  it('delta: a teacher whose every role a delta ended has no school, and an enrollments file cannot then put her into a class', async () => {
    const { municipalityId, delta, staff, group } = await imported();
    const ended = await delta({
      'users.csv': csv([USERS_HEADER, ['t-1', 'active', `{Feide:tone-${municipalityId}@a.example}`, 'Tone', 'Lærer', 'tone@skole.example', '', 'sch-a']]),
      'roles.csv': csv([ROLES_HEADER, ['role-t-1', 'tobedeleted', 't-1', 'primary', 'teacher', 'sch-a']]),
    });
    expect(ended.rejections).toEqual([]);
    const tone = await staff('Tone Lærer');
    expect(tone?.schoolIds).toEqual([]);
    const run = await delta({ 'enrollments.csv': csv([ENROLLMENTS_HEADER, ['e-5b-t1', 'active', 'c-5b', 't-1', 'teacher']]) });
    expect({ rejections: run.rejections.length, in5B: (await group('5B'))?.teacherIds.includes(tone?.id ?? '') }).toEqual({ rejections: 1, in5B: false });
  });


  it('bulk: a staff row the planner refuses (another login identity) keeps the teacher in her class, as a rejected row does', async () => {
    const { municipalityId, admin, staff, group } = await imported();
    const set = twoSchools(municipalityId);
    set.people = set.people.map((person) => (person.sourcedId === 't-1' ? { ...person, feide: `other-${municipalityId}@a.example` } : person));
    const run = await importRoster(app.test, admin, municipalityId, zip(rosterFiles(set)));
    expect(run.status).toBe('completed');
    expect(run.rejections.map((rejection) => `${rejection.file} ${rejection.column}`)).toEqual(['users.csv userIds', 'enrollments.csv userSourcedId']);
    expect((await group('5A'))?.teacherIds).toContain((await staff('Tone Lærer'))?.id);
  });

  it('delta: an API teacher and school-admin at one school, linked by login by a row that makes her teacher at another, is no school-admin there', async () => {
    const { municipalityId, admin, delta, staff, schoolId } = await imported();
    const made = await app.test.request('POST', `/municipalities/${municipalityId}/users`, {
      token: admin,
      body: { name: 'Api Leder', email: 'leder@skole.example', roles: ['school-admin', 'teacher'], schoolIds: [schoolId('Lilleby skole')], identity: { issuer: DEV_ISSUER, subject: `leder-${municipalityId}@a.example` } },
    });
    expect(made.status).toBe(201);
    const run = await delta({
      'users.csv': csv([USERS_HEADER, ['t-leder', 'active', `{Feide:leder-${municipalityId}@a.example}`, 'Api', 'Leder', 'leder@skole.example', '', 'sch-b']]),
      'roles.csv': csv([ROLES_HEADER, ['role-t-leder', 'active', 't-leder', 'primary', 'teacher', 'sch-b']]),
    });
    const leder = await staff('Api Leder');
    const adminAtStoreby = leder?.roles.includes('school-admin') && leder.schoolIds.includes(schoolId('Storeby skole') ?? '');
    expect({ rejections: run.rejections.length, adminAtStoreby }).toEqual({ rejections: 1, adminAtStoreby: false });
  });
});
