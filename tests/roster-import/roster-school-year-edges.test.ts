import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_ISSUER } from '../../local/dev-issuer.js';
import { erasuresSettled } from '../support/erasures.js';
import { bootstrapAdminToken, createStaffUser, registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { csv, importRoster, manifest, rosterFiles, zip, type Enrollment, type GroupView, type Person, type RosterSet, type StudentView } from './oneroster-fixture.js';

/** A day relative to today (the import's today is the app clock's). */
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const TODAY = day(0);

const pupil = (index: number): Person => ({ sourcedId: `s-${index}`, givenName: `Elev${index}`, familyName: 'Nordmann', role: 'student', school: 'sch-a', grade: '05', birthDate: '2016-04-0' + index });
const enrolled = (classSourcedId: string, userSourcedId: string, extra: Partial<Enrollment> = {}): Enrollment => ({ sourcedId: `e-${classSourcedId}-${userSourcedId}`, classSourcedId, userSourcedId, role: 'student', ...extra });

/** One school, a teacher and three pupils in class 5A. */
function school(municipalityId: string): RosterSet {
  return {
    municipalityId,
    schools: [{ sourcedId: 'sch-a', name: 'Lilleby skole', organisationNumber: '974000101' }],
    people: [{ sourcedId: 't-1', givenName: 'Tone', familyName: 'Lærer', role: 'teacher', school: 'sch-a', feide: `tone-${municipalityId}@a.example` }, pupil(1), pupil(2), pupil(3)],
    classes: [{ sourcedId: 'c-5a', title: '5A', school: 'sch-a', term: 'sy-2027' }],
    enrollments: [enrolled('c-5a', 't-1', { role: 'teacher' }), enrolled('c-5a', 's-1'), enrolled('c-5a', 's-2'), enrolled('c-5a', 's-3')],
  };
}

describe('roster import: the school year at its edges', () => {
  let test: TestApp;
  let next = 0;

  beforeAll(async () => {
    test = await startTestApp({ env: { ROSTER_IDENTITY_ISSUER: DEV_ISSUER } });
  }, 60_000);

  afterAll(async () => {
    await test?.close();
  });

  /** A municipality of its own per test, with its first import made. */
  async function imported(set: (municipalityId: string) => RosterSet = school) {
    next += 1;
    const municipalityId = `17${String(next).padStart(2, '0')}`;
    await registerMunicipality(test, municipalityId);
    const admin = await bootstrapAdminToken(test, municipalityId);
    const first = await importRoster(test, admin, municipalityId, zip(rosterFiles(set(municipalityId))));
    expect(first.status, JSON.stringify(first.rejections)).toBe('completed');
    const list = async <T>(path: string) => (await test.request<{ items: T[] }>('GET', `/municipalities/${municipalityId}/${path}`, { token: admin })).body.items;
    const student = async (givenName: string) => (await list<StudentView>('students?limit=100')).find((found) => found.givenName === givenName);
    const group = async (name: string) => (await list<GroupView>('groups?limit=100')).find((found) => found.name === name);
    return { municipalityId, admin, list, student, group };
  }

  it('a pupil whose enrollments have ended and whose next class begins later (the summer) stays active, and joins that class only when it begins', async () => {
    const { municipalityId, admin, student, group } = await imported();
    const set = school(municipalityId);
    set.classes.push({ sourcedId: 'c-6a', title: '6A', school: 'sch-a', term: 'sy-2027' });
    set.enrollments = [
      enrolled('c-5a', 't-1', { role: 'teacher' }),
      ...['s-1', 's-2', 's-3'].map((id) => enrolled('c-5a', id, { endDate: day(-10) })),
      // Elev1 and Elev2 go on to 6A after the summer; Elev3 has left the school.
      ...['s-1', 's-2'].map((id) => enrolled('c-6a', id, { beginDate: day(20) })),
    ];
    const run = await importRoster(test, admin, municipalityId, zip(rosterFiles(set)));
    expect(run.status, JSON.stringify(run.rejections)).toBe('completed');
    expect(run.rejections).toEqual([]);
    expect(await student('Elev1')).toMatchObject({ status: 'active', groupIds: [] });
    expect(await student('Elev2')).toMatchObject({ status: 'active', groupIds: [] });
    expect(await student('Elev3')).toMatchObject({ status: 'leaver', leftAt: day(-10), groupIds: [] });
    expect(await group('6A')).toMatchObject({ studentIds: [] });
    expect((await group('5A'))?.studentIds).toEqual([]);
  });

  it('a pupil who leaves leaves every group also when the file holds no enrollments.csv, and groups made through the API', async () => {
    const { municipalityId, admin, student, group } = await imported();
    const elev2 = await student('Elev2');
    const elev3 = await student('Elev3');
    const schoolId = (await test.request<{ items: { id: string }[] }>('GET', `/municipalities/${municipalityId}/schools`, { token: admin })).body.items[0]?.id;
    const club = await test.request<GroupView>('POST', `/municipalities/${municipalityId}/groups`, { token: admin, body: { schoolId, name: 'Sjakklubb', studentIds: [elev2?.id, elev3?.id] } });
    expect(club.status).toBe(201);
    // A bulk users.csv without Elev2 (moved away), and no classes.csv or enrollments.csv.
    const set = school(municipalityId);
    set.people = set.people.filter((person) => person.sourcedId !== 's-2');
    const { 'classes.csv': _classes, 'enrollments.csv': _enrollments, ...files } = rosterFiles(set);
    const run = await importRoster(test, admin, municipalityId, zip({ ...files, 'manifest.csv': manifest('bulk', ['orgs', 'academicSessions', 'users', 'roles', 'demographics']) }));
    expect(run.status, JSON.stringify(run.rejections)).toBe('completed');
    expect(await student('Elev2')).toMatchObject({ status: 'leaver', groupIds: [] });
    expect((await group('5A'))?.studentIds).not.toContain(elev2?.id);
    expect((await group('5A'))?.studentIds).toHaveLength(2);
    expect((await group('Sjakklubb'))?.studentIds).toEqual([elev3?.id]);
    expect((await student('Elev3'))?.groupIds).toHaveLength(2);
  });

  it('an enrollment deleted before its end date makes a leaver today, not on the day still to come', async () => {
    const { municipalityId, admin, student } = await imported();
    const set = school(municipalityId);
    set.enrollments = set.enrollments.map((enrollment) => (enrollment.userSourcedId === 's-3' ? { ...enrollment, status: 'tobedeleted', endDate: day(60) } : enrollment));
    const run = await importRoster(test, admin, municipalityId, zip(rosterFiles(set)));
    expect(run.status, JSON.stringify(run.rejections)).toBe('completed');
    expect(await student('Elev3')).toMatchObject({ status: 'leaver', leftAt: TODAY });
  });

  it('a pupil whose erasure is under way is not put back into a group by a file without users.csv', async () => {
    const { municipalityId, admin, student, group } = await imported();
    const directory = test.app.services.cosmos.containers.directory;
    // The erasure's first step: the pupil is marked and taken out of their groups (the name sweep and deletion follow).
    const elev3 = await student('Elev3');
    const stored = (await directory.item(elev3?.id ?? '', municipalityId).read()).resource;
    await directory.item(elev3?.id ?? '', municipalityId).replace({ ...stored, erasureId: 'erasure-under-way', groupIds: [], teacherIds: [] });
    const group5a = await group('5A');
    const storedGroup = (await directory.item(group5a?.id ?? '', municipalityId).read()).resource;
    await directory.item(group5a?.id ?? '', municipalityId).replace({ ...storedGroup, studentIds: storedGroup.studentIds.filter((id: string) => id !== elev3?.id) });
    for (const mode of ['bulk', 'delta'] as const) {
      const enrollments = csv([['sourcedId', 'classSourcedId', 'userSourcedId', 'role'], ...school(municipalityId).enrollments.map((enrollment) => [enrollment.sourcedId, enrollment.classSourcedId, enrollment.userSourcedId, enrollment.role])]);
      const run = await importRoster(test, admin, municipalityId, zip({ 'manifest.csv': manifest(mode, ['enrollments']), 'enrollments.csv': enrollments }), { mode });
      expect(run.status, mode).toBe('completed');
      expect(run.rejections, mode).toEqual([{ file: 'enrollments.csv', line: 5, column: 'userSourcedId', reason: expect.stringContaining('erasure is under way') }]);
      expect((await group('5A'))?.studentIds, mode).not.toContain(elev3?.id);
    }
  });

  it('a pupil and a teacher erased on the controller’s instruction are not imported again: their rows are rejected and nothing of them is created (a repeated instruction would answer with the completed erasure and leave them)', async () => {
    const { municipalityId, admin, student, list } = await imported();
    const elev3 = await student('Elev3');
    const tone = (await list<{ id: string; name: string }>('users?limit=100')).find((user) => user.name === 'Tone Lærer');
    for (const path of [`students/${elev3?.id}`, `users/${tone?.id}`]) {
      expect((await test.request('DELETE', `/municipalities/${municipalityId}/${path}?instructionReference=SAK-2026/77`, { token: admin })).status).toBe(202);
    }
    await erasuresSettled(test);
    const run = await importRoster(test, admin, municipalityId, zip(rosterFiles(school(municipalityId))));
    expect(run.status).toBe('completed');
    const erased = { column: 'sourcedId', reason: expect.stringContaining('was erased on the controller’s instruction') };
    expect(run.rejections).toEqual([{ file: 'users.csv', line: 2, ...erased }, { file: 'users.csv', line: 5, ...erased }]);
    expect(await student('Elev3')).toBeUndefined();
    expect((await list<{ name: string }>('users?limit=100')).map((user) => user.name)).not.toContain('Tone Lærer');
  });

  it('an administrator who also teaches does not hold their class: pupils who move on leave it, and it closes with its term', async () => {
    next += 1;
    const municipalityId = `17${String(next).padStart(2, '0')}`;
    await registerMunicipality(test, municipalityId);
    const admin = await bootstrapAdminToken(test, municipalityId);
    const kommuneAdmin = await createStaffUser(test, municipalityId, ['municipality-admin'], { name: 'Kari Kommune' });
    const withAdmin = (id: string): RosterSet => {
      const set = school(id);
      set.people.push({ sourcedId: 't-admin', givenName: 'Kari', familyName: 'Kommune', role: 'teacher', school: 'sch-a', feide: kommuneAdmin.subject });
      set.classes.push({ sourcedId: 'c-kor', title: 'Kor', school: 'sch-a', term: 'sy-2027' });
      set.enrollments.push(enrolled('c-kor', 't-admin', { role: 'teacher' }), enrolled('c-kor', 's-1'), enrolled('c-kor', 's-2'));
      return set;
    };
    const first = await importRoster(test, admin, municipalityId, zip(rosterFiles(withAdmin(municipalityId))));
    expect(first.rejections).toEqual([expect.objectContaining({ file: 'enrollments.csv', reason: 'enrols as teacher a user without the teacher role' })]);
    // Elev2 leaves the choir; next, the choir's term has ended.
    const set = withAdmin(municipalityId);
    set.enrollments = set.enrollments.filter((enrollment) => enrollment.sourcedId !== 'e-c-kor-s-2');
    await importRoster(test, admin, municipalityId, zip(rosterFiles(set)));
    const groups = async () => (await test.request<{ items: GroupView[] }>('GET', `/municipalities/${municipalityId}/groups?limit=100`, { token: admin })).body.items;
    expect((await groups()).find((group) => group.name === 'Kor')?.studentIds).toHaveLength(1);
    set.classes = set.classes.map((cls) => (cls.sourcedId === 'c-kor' ? { ...cls, term: 'sy-2026' } : cls));
    await importRoster(test, admin, municipalityId, zip(rosterFiles(set)));
    expect((await groups()).find((group) => group.name === 'Kor')).toMatchObject({ closedAt: TODAY, studentIds: [] });
  });

  it('a delta that lists changed users without roles rows (their roles did not change) applies the change and keeps their roles and schools', async () => {
    const { municipalityId, admin, student, list } = await imported();
    const before = await student('Elev1');
    const users = csv([
      ['sourcedId', 'status', 'userIds', 'givenName', 'familyName', 'email', 'grades'],
      ['s-1', 'active', '', 'Elev1', 'Endret', '', '06'],
      ['t-1', 'active', `{Feide:tone-${municipalityId}@a.example}`, 'Tone', 'Gift', 'tone@skole.example', ''],
    ]);
    const run = await importRoster(test, admin, municipalityId, zip({ 'manifest.csv': manifest('delta', ['users']), 'users.csv': users }), { mode: 'delta' });
    expect(run.status).toBe('completed');
    expect(run.rejections).toEqual([]);
    expect(run.files['users.csv']).toMatchObject({ read: 2, updated: 2 });
    expect(await student('Elev1')).toMatchObject({ familyName: 'Endret', yearLevel: 6, status: 'active', schoolId: before?.schoolId, groupIds: before?.groupIds });
    const staff = await list<{ name: string; roles: string[]; schoolIds: string[] }>('users?limit=100');
    expect(staff.find((user) => user.name === 'Tone Gift')).toMatchObject({ roles: ['teacher'], schoolIds: [before?.schoolId] });
  });

  it('a pupil registered through the API in an imported group follows what the import does to the group: its new teacher, and leaving it', async () => {
    const { municipalityId, admin, student, group } = await imported((id) => {
      const set = school(id);
      set.people.push({ sourcedId: 't-2', givenName: 'Tor', familyName: 'Lærer', role: 'teacher', school: 'sch-a', feide: `tor-${id}@a.example` });
      return set;
    });
    const base = `/municipalities/${municipalityId}`;
    const schoolId = (await student('Elev1'))?.schoolId;
    const created = await test.request<{ id: string }>('POST', `${base}/students`, { token: admin, body: { givenName: 'Ida', familyName: 'Manuell', birthDate: '2016-06-06', schoolId, yearLevel: 5 } });
    expect(created.status).toBe(201);
    const group5a = await test.request<GroupView>('GET', `${base}/groups/${(await group('5A'))?.id}`, { token: admin });
    const joined = await test.request('PATCH', `${base}/groups/${group5a.body.id}`, { token: admin, body: { studentIds: [...group5a.body.studentIds, created.body.id] }, headers: { 'if-match': group5a.headers.get('etag') ?? '' } });
    expect(joined.status).toBe(200);
    // A teacher sees the pupils whose mirror names them.
    const seenBy = async (subject: string) => {
      const visible = await test.request<{ items: StudentView[] }>('GET', `${base}/students?limit=100`, { token: await test.token(subject) });
      return visible.body.items.some((found) => found.givenName === 'Ida');
    };
    const [tone, tor] = [`tone-${municipalityId}@a.example`, `tor-${municipalityId}@a.example`];
    expect({ tone: await seenBy(tone), tor: await seenBy(tor) }).toEqual({ tone: true, tor: false });

    // A delta: Tor takes over 5A from Tone.
    const enrollments = csv([['sourcedId', 'status', 'classSourcedId', 'userSourcedId', 'role'], ['e-c-5a-t-1', 'tobedeleted', 'c-5a', 't-1', 'teacher'], ['e-c-5a-t-2', 'active', 'c-5a', 't-2', 'teacher']]);
    const delta = await importRoster(test, admin, municipalityId, zip({ 'manifest.csv': manifest('delta', ['enrollments']), 'enrollments.csv': enrollments }), { mode: 'delta' });
    expect(delta.status, JSON.stringify(delta.rejections)).toBe('completed');
    expect({ tone: await seenBy(tone), tor: await seenBy(tor) }).toEqual({ tone: false, tor: true });

    // The next bulk file: the school system does not know Ida, so 5A is its three pupils.
    const bulk = await importRoster(test, admin, municipalityId, zip(rosterFiles(school(municipalityId))));
    expect(bulk.status, JSON.stringify(bulk.rejections)).toBe('completed');
    expect((await group('5A'))?.studentIds).not.toContain(created.body.id);
    expect(await student('Ida')).toMatchObject({ status: 'active', groupIds: [] });
    // And again: nothing more to write.
    expect((await importRoster(test, admin, municipalityId, zip(rosterFiles(school(municipalityId))))).operations.writes).toBe(0);
  });

  it('a delta of classes whose terms it does not list (unchanged sessions) renames a class keeping its school year, and adds a new one', async () => {
    const { municipalityId, admin, group } = await imported();
    const classes = csv([
      ['sourcedId', 'status', 'title', 'schoolSourcedId', 'termSourcedIds'],
      ['c-5a', 'active', '5A Lilleby', 'sch-a', 'sy-2027'],
      ['c-kor', 'active', 'Kor', 'sch-a', 't-2026h'],
    ]);
    const run = await importRoster(test, admin, municipalityId, zip({ 'manifest.csv': manifest('delta', ['classes']), 'classes.csv': classes }), { mode: 'delta' });
    expect(run.status).toBe('completed');
    expect(run.rejections).toEqual([]);
    expect(run.files['classes.csv']).toMatchObject({ read: 2, created: 1, updated: 1 });
    expect(await group('5A Lilleby')).toMatchObject({ schoolYear: '2026-2027', studentIds: expect.arrayContaining([expect.any(String)]) });
    expect((await group('5A Lilleby'))?.studentIds).toHaveLength(3);
    expect(await group('Kor')).toMatchObject({ studentIds: [] });
  });

  it('refuses a user with other staff roles at one school than at another (a teacher at one would administer the other), and gives a staff role only the schools it is held at', async () => {
    const { municipalityId, admin, list } = await imported();
    const files = rosterFiles(school(municipalityId));
    const orgs = `${files['orgs.csv'] as string}${csv([['sch-b', 'active', '2026-06-01T00:00:00Z', 'Storeby skole', 'school', '974000102', `district-${municipalityId}`]])}`;
    const users = `${files['users.csv'] as string}${csv([
      ['t-2', 'active', '2026-06-01T00:00:00Z', 'true', 't-2', `{Feide:t2-${municipalityId}@a.example}`, 'Trond', 'Rektor', '', '', 't-2@skole.example', '', '', '', '', '', '', '', '', '', '', 'sch-a', ''],
      ['t-3', 'active', '2026-06-01T00:00:00Z', 'true', 't-3', `{Feide:t3-${municipalityId}@a.example}`, 'Gunn', 'Foresatt', '', '', 't-3@skole.example', '', '', '', '', '', '', '', '', '', '', 'sch-b', ''],
    ])}`;
    const roles = `${files['roles.csv'] as string}${csv([
      ['role-t-2-a', 'active', '2026-06-01T00:00:00Z', 't-2', 'primary', 'teacher', '', '', 'sch-a', ''],
      ['role-t-2-b', 'active', '2026-06-01T00:00:00Z', 't-2', 'secondary', 'administrator', '', '', 'sch-b', ''],
      // Tone teaches at both schools: the same roles at each, imported.
      ['role-t-1-b', 'active', '2026-06-01T00:00:00Z', 't-1', 'secondary', 'teacher', '', '', 'sch-b', ''],
      // Elev1's guardian teaches at B: a teacher at B only, not refused for the other role.
      ['role-t-3-b', 'active', '2026-06-01T00:00:00Z', 't-3', 'primary', 'teacher', '', '', 'sch-b', ''],
      ['role-t-3-a', 'active', '2026-06-01T00:00:00Z', 't-3', 'secondary', 'guardian', '', '', 'sch-a', ''],
    ])}`;
    const run = await importRoster(test, admin, municipalityId, zip({ ...files, 'orgs.csv': orgs, 'users.csv': users, 'roles.csv': roles }));
    expect(run.status).toBe('completed');
    expect(run.rejections).toEqual([{ file: 'users.csv', line: 6, column: 'sourcedId', reason: expect.stringContaining('other roles at one of their schools than at another') }]);
    const staff = await list<{ name: string; roles: string[]; schoolIds: string[] }>('users?limit=100');
    expect(staff.find((user) => user.name === 'Trond Rektor')).toBeUndefined();
    const schools = (await test.request<{ items: { id: string; name: string }[] }>('GET', `/municipalities/${municipalityId}/schools`, { token: admin })).body.items;
    expect(staff.find((user) => user.name === 'Gunn Foresatt')).toMatchObject({ roles: ['teacher'], schoolIds: [schools.find((found) => found.name === 'Storeby skole')?.id] });
    expect(staff.find((user) => user.name === 'Tone Lærer')).toMatchObject({ roles: ['teacher'], schoolIds: expect.arrayContaining([expect.any(String), expect.any(String)]) });
  });
});
