import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_ISSUER } from '../../local/dev-issuer.js';
import { bootstrapAdminToken, createStaffUser, registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { csv, importRoster, rosterFiles, zip, type Person, type RosterSet } from './oneroster-fixture.js';

const M = '0301';
const TODAY = new Date().toISOString().slice(0, 10);

interface Student {
  id: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  yearLevel: number;
  status: string;
  leftAt?: string;
  schoolId: string;
  groupIds: string[];
}

function students(grade: string): Person[] {
  return [1, 2, 3, 4, 5, 6].map((index) => ({
    sourcedId: `s-${index}`,
    givenName: `Elev${index}`,
    familyName: 'Nordmann',
    role: 'student' as const,
    school: index <= 4 ? 'sch-a' : 'sch-b',
    grade,
    birthDate: `2016-03-0${index}`,
  }));
}

/** This school year's roster: two schools, a teacher each, a school administrator, six pupils in two classes, and last year's class. */
function thisYear(adminSubject: string): RosterSet {
  return {
    municipalityId: M,
    schools: [
      { sourcedId: 'sch-a', name: 'Bjølsen skole', organisationNumber: '974589001' },
      { sourcedId: 'sch-b', name: 'Sagene skole', organisationNumber: 'NO974589002' },
    ],
    people: [
      { sourcedId: 't-1', givenName: 'Tone', familyName: 'Lærer', role: 'teacher', school: 'sch-a', feide: 'tone@a.example' },
      { sourcedId: 't-2', givenName: 'Truls', familyName: 'Lærer', role: 'teacher', school: 'sch-b', feide: 'truls@b.example' },
      { sourcedId: 'adm-1', givenName: 'Anne', familyName: 'Rektor', role: 'administrator', school: 'sch-a', feide: 'anne@a.example' },
      // The municipality admin registered through the API also teaches: the file must not touch their roles.
      { sourcedId: 't-admin', givenName: 'Kari', familyName: 'Kommune', role: 'teacher', school: 'sch-a', feide: adminSubject },
      ...students('05'),
    ],
    classes: [
      { sourcedId: 'c-5a', title: '5A', school: 'sch-a', term: 't-2026h' },
      { sourcedId: 'c-5b', title: '5B', school: 'sch-b', term: 'sy-2027' },
      { sourcedId: 'c-old', title: '4A', school: 'sch-a', term: 'sy-2026' },
      { sourcedId: 'c-club', title: 'Sjakklubb', school: 'sch-a', term: 'sy-2027' },
    ],
    enrollments: [
      { sourcedId: 'e-t1', classSourcedId: 'c-5a', userSourcedId: 't-1', role: 'teacher' },
      { sourcedId: 'e-t2', classSourcedId: 'c-5b', userSourcedId: 't-2', role: 'teacher' },
      { sourcedId: 'e-club', classSourcedId: 'c-club', userSourcedId: 't-1', role: 'teacher' },
      ...[1, 2, 3, 4].map((index) => ({ sourcedId: `e-s${index}`, classSourcedId: 'c-5a', userSourcedId: `s-${index}`, role: 'student' as const })),
      ...[5, 6].map((index) => ({ sourcedId: `e-s${index}`, classSourcedId: 'c-5b', userSourcedId: `s-${index}`, role: 'student' as const })),
      // Elev2 is in two groups: both are on the student.
      { sourcedId: 'e-s2-chess', classSourcedId: 'c-club', userSourcedId: 's-2', role: 'student' },
    ],
  };
}

describe('roster import (OneRoster 1.2 CSV)', () => {
  let test: TestApp;
  let admin: string;
  let kommuneAdmin: { id: string; subject: string; token: string };
  let firstFile: Uint8Array;

  const list = async <T>(path: string): Promise<T[]> => (await test.request<{ items: T[] }>('GET', `/municipalities/${M}/${path}`, { token: admin })).body.items;
  const studentNamed = async (givenName: string) => (await list<Student>('students?limit=100')).find((student) => student.givenName === givenName);
  /** The audit's creates and changes of one document (its reads and lists left out). */
  const changesOf = async (id: string | undefined) =>
    (await test.request<{ items: { action: string; resourceType: string; actorId: string; actorRole: string }[] }>('GET', `/municipalities/${M}/audit?targetId=${id}`, { token: admin })).body.items
      .filter((entry) => entry.action === 'create' || entry.action === 'update')
      .map(({ action, resourceType, actorId, actorRole }) => ({ action, resourceType, actorId, actorRole }));

  beforeAll(async () => {
    test = await startTestApp({ env: { ROSTER_IDENTITY_ISSUER: DEV_ISSUER } });
    await registerMunicipality(test, M);
    admin = await bootstrapAdminToken(test, M);
    kommuneAdmin = await createStaffUser(test, M, ['municipality-admin'], { name: 'Kari Kommune' });
    firstFile = zip(rosterFiles(thisYear(kommuneAdmin.subject)));
  }, 60_000);

  afterAll(async () => {
    await test?.close();
  });

  it('imports schools, staff, students and groups, and the directory shows them through the API', async () => {
    const run = await importRoster(test, admin, M, firstFile);
    expect(run.status, JSON.stringify(run)).toBe('completed');
    expect(run.rejections).toEqual([]);
    expect(run.files['users.csv']).toMatchObject({ read: 10, created: 9, updated: 1, rejected: 0 });
    expect(run.files['classes.csv']).toMatchObject({ read: 4, created: 3, closed: 1 });

    const schools = await list<{ id: string; name: string; organisationNumber: string }>('schools');
    expect(schools.map((school) => [school.name, school.organisationNumber]).sort()).toEqual([['Bjølsen skole', '974589001'], ['Sagene skole', '974589002']]);
    const schoolA = schools.find((school) => school.name === 'Bjølsen skole')?.id;

    const pupils = await list<Student>('students?limit=100');
    expect(pupils).toHaveLength(6);
    const elev1 = pupils.find((student) => student.givenName === 'Elev1');
    expect(elev1).toMatchObject({ familyName: 'Nordmann', birthDate: '2016-03-01', yearLevel: 5, status: 'active', schoolId: schoolA });

    const groups = await list<{ id: string; name: string; teacherIds: string[]; studentIds: string[]; schoolYear?: string; closedAt?: string }>('groups');
    const group5a = groups.find((group) => group.name === '5A');
    expect(group5a).toMatchObject({ schoolYear: '2026-2027' });
    expect(group5a?.studentIds).toHaveLength(4);
    expect(elev1?.groupIds).toEqual([group5a?.id]);
    const club = groups.find((group) => group.name === 'Sjakklubb');
    expect(pupils.find((student) => student.givenName === 'Elev2')?.groupIds).toEqual([group5a?.id, club?.id].sort());
    // Last year's class has ended: a closed group without members, never deleted.
    expect(groups.find((group) => group.name === '4A')).toMatchObject({ closedAt: TODAY, studentIds: [], teacherIds: [] });

    const staff = await list<{ id: string; name: string; roles: string[]; schoolIds: string[] }>('users?limit=100');
    expect(staff.find((user) => user.name === 'Tone Lærer')).toMatchObject({ roles: ['teacher'], schoolIds: [schoolA] });
    expect(staff.find((user) => user.name === 'Anne Rektor')).toMatchObject({ roles: ['school-admin'], schoolIds: [schoolA] });
    // The existing admin was recognised by their login (no second user) and keeps exactly their roles.
    expect(staff.filter((user) => user.id === kommuneAdmin.id)).toEqual([expect.objectContaining({ roles: ['municipality-admin'] })]);
    expect(staff.filter((user) => user.roles.includes('data-admin') || user.roles.includes('municipality-admin'))).toHaveLength(2);

    // An imported teacher signs in with the identity from userIds and sees the pupils of their group, and only those.
    // Audited like every admin write: who started which import.
    const audit = await test.request<{ items: { action: string; resourceType: string; actorId: string }[] }>('GET', `/municipalities/${M}/audit?targetId=${run.id}`, { token: admin });
    expect(audit.body.items).toEqual([expect.objectContaining({ action: 'create', resourceType: 'roster-import' })]);
    // And what the import wrote, as the admin's, in the role they started it in: who created this pupil, this group.
    expect(await changesOf(elev1?.id)).toEqual([{ action: 'create', resourceType: 'student', actorId: run.requestedBy, actorRole: 'data-admin' }]);
    expect(await changesOf(group5a?.id)).toEqual([{ action: 'create', resourceType: 'group', actorId: run.requestedBy, actorRole: 'data-admin' }]);

    const tone = await test.token('tone@a.example');
    const visible = await test.request<{ items: Student[] }>('GET', `/municipalities/${M}/students?limit=100`, { token: tone });
    expect(visible.status).toBe(200);
    expect(visible.body.items.map((student) => student.givenName).sort()).toEqual(['Elev1', 'Elev2', 'Elev3', 'Elev4']);
  });

  it('never reads or stores a demographic field other than the birth date (P19)', async () => {
    const { resources } = await test.app.services.cosmos.containers.directory.items.query('SELECT * FROM c').fetchAll();
    const stored = JSON.stringify(resources);
    for (const needle of ['"sex"', 'female', 'americanIndianOrAlaskaNative', 'hispanicOrLatinoEthnicity', 'Bergen', 'countryOfBirthCode', 'cityOfBirth']) {
      expect(stored).not.toContain(needle);
    }
  });

  it('re-imports the same file without a single write to the directory', async () => {
    const run = await importRoster(test, admin, M, firstFile);
    expect(run.status).toBe('completed');
    expect(run.operations.writes).toBe(0);
    expect(run.batches).toBe(0);
    for (const [file, counts] of Object.entries(run.files)) {
      expect({ file, created: counts.created, updated: counts.updated, leaver: counts.leaver, closed: counts.closed }).toEqual({ file, created: 0, updated: 0, leaver: 0, closed: 0 });
    }
    expect(run.files['users.csv']?.unchanged).toBe(10);
  });

  function nextYear(): RosterSet {
    const set = thisYear(kommuneAdmin.subject);
    // Elev6 has moved away (gone from the file); Elev5's enrollment ended in October; everyone else moves up a year.
    // Elev5 also changed school (to 5A at Bjølsen) before leaving.
    set.people = set.people
      .filter((person) => person.sourcedId !== 's-6')
      .map((person) => (person.role === 'student' ? { ...person, grade: '06', ...(person.sourcedId === 's-5' ? { school: 'sch-a' } : {}) } : person));
    set.classes = set.classes.filter((cls) => cls.sourcedId !== 'c-5b');
    set.enrollments = set.enrollments
      // The chess club keeps its class but loses its only enrollment: a bulk file empties it.
      .filter((enrollment) => !['e-s6', 'e-t2', 'e-club', 'e-s2-chess'].includes(enrollment.sourcedId))
      .map((enrollment) => (enrollment.sourcedId === 'e-s5' ? { ...enrollment, classSourcedId: 'c-5a', endDate: '2026-10-01' } : enrollment));
    // Elev2 and Elev1 each also had a club enrollment that ended, before and after their open one in the file: both stay.
    const endedClub = (index: number) => ({ sourcedId: `e-s${index}-club`, classSourcedId: 'c-club', userSourcedId: `s-${index}`, role: 'student' as const, endDate: '2026-09-01' });
    set.enrollments = [endedClub(2), ...set.enrollments, endedClub(1)];
    return set;
  }

  it('a dry run reports the whole diff and writes nothing', async () => {
    const before = await list<Student>('students?limit=100');
    const run = await importRoster(test, admin, M, zip(rosterFiles(nextYear())), { dryRun: true });
    expect(run.status).toBe('completed');
    expect(run.operations.writes).toBe(0);
    expect(run.rejections).toEqual([]);
    expect(run.files['users.csv']).toMatchObject({ leaver: 2, updated: 4 });
    expect(run.files['classes.csv']).toMatchObject({ closed: 1 });
    expect(run.samples).toContainEqual({ file: 'users.csv', line: null, kind: 'student', change: 'leaver', fields: expect.arrayContaining(['status', 'leftAt']) });
    expect(run.samples).toContainEqual(expect.objectContaining({ file: 'users.csv', kind: 'student', change: 'updated', fields: expect.arrayContaining(['yearLevel']) }));
    expect(await list<Student>('students?limit=100')).toEqual(before);
  });

  it('in bulk mode, students who left the roster or whose enrollment ended become leavers (never deleted), year levels follow, ended classes close', async () => {
    const run = await importRoster(test, admin, M, zip(rosterFiles(nextYear())));
    expect(run.status).toBe('completed');
    expect(await studentNamed('Elev6')).toMatchObject({ status: 'leaver', leftAt: TODAY, groupIds: [] });
    expect(await studentNamed('Elev5')).toMatchObject({ status: 'leaver', leftAt: '2026-10-01', groupIds: [] });
    const elev1 = await studentNamed('Elev1');
    expect(elev1).toMatchObject({ status: 'active', yearLevel: 6 });
    expect(await changesOf(elev1?.id)).toEqual([
      { action: 'update', resourceType: 'student', actorId: run.requestedBy, actorRole: 'data-admin' },
      { action: 'create', resourceType: 'student', actorId: run.requestedBy, actorRole: 'data-admin' },
    ]);
    expect(await studentNamed('Elev2')).toMatchObject({ status: 'active', yearLevel: 6 });
    const groups = await list<{ name: string; closedAt?: string; studentIds: string[]; teacherIds: string[] }>('groups');
    expect(groups.find((group) => group.name === '5B')).toMatchObject({ closedAt: TODAY, studentIds: [] });
    expect(groups.find((group) => group.name === '5A')?.studentIds).toHaveLength(4);
    expect(groups.find((group) => group.name === 'Sjakklubb')).toMatchObject({ teacherIds: [], studentIds: [] });
    expect(groups.find((group) => group.name === 'Sjakklubb')?.closedAt).toBeUndefined();
    expect(await list<Student>('students?limit=100')).toHaveLength(6);
  });

  it('a delta adds, changes and marks leavers from tobedeleted, and leaves the rest alone', async () => {
    const users = [
      ['sourcedId', 'status', 'dateLastModified', 'userIds', 'givenName', 'familyName', 'grades', 'primaryOrgSourcedId'],
      ['s-2', 'active', '2026-11-01T00:00:00Z', '', 'Elev2', 'Endret', '06', 'sch-a'],
      ['s-3', 'tobedeleted', '2026-11-01T00:00:00Z', '', 'Elev3', 'Nordmann', '06', 'sch-a'],
      ['s-7', 'active', '2026-11-01T00:00:00Z', '', 'Elev7', 'Ny', '06', 'sch-a'],
    ];
    const roles = [['sourcedId', 'userSourcedId', 'roleType', 'role', 'orgSourcedId'], ['role-s-2', 's-2', 'primary', 'student', 'sch-a'], ['role-s-7', 's-7', 'primary', 'student', 'sch-a']];
    const demographics = [['sourcedId', 'birthDate', 'sex'], ['s-7', '2016-09-09', 'male']];
    const enrollments = [['sourcedId', 'classSourcedId', 'userSourcedId', 'role'], ['e-s7', 'c-5a', 's-7', 'student']];
    const { manifest } = await import('./oneroster-fixture.js');
    const delta = zip({
      'manifest.csv': manifest('delta', ['users', 'roles', 'demographics', 'enrollments']),
      'users.csv': csv(users),
      'roles.csv': csv(roles),
      'demographics.csv': csv(demographics),
      'enrollments.csv': csv(enrollments),
    });
    const run = await importRoster(test, admin, M, delta, { mode: 'delta' });
    expect(run.status, JSON.stringify(run.rejections)).toBe('completed');
    expect(run.rejections).toEqual([]);
    expect(await studentNamed('Elev2')).toMatchObject({ familyName: 'Endret', status: 'active' });
    expect(await studentNamed('Elev3')).toMatchObject({ status: 'leaver', leftAt: TODAY, groupIds: [] });
    const elev7 = await studentNamed('Elev7');
    expect(elev7).toMatchObject({ birthDate: '2016-09-09', yearLevel: 6, status: 'active' });
    expect(elev7?.groupIds).toHaveLength(1);
    // Not in the delta: untouched.
    expect(await studentNamed('Elev1')).toMatchObject({ familyName: 'Nordmann', status: 'active' });
    const group5a = (await list<{ name: string; studentIds: string[] }>('groups')).find((group) => group.name === '5A');
    expect(group5a?.studentIds).toHaveLength(4); // Elev1, 2, 4 and 7; Elev3 left
  });
});
