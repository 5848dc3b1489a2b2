import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchoolWorld, RECORD_BODIES, setVisibility, type SchoolWorld } from '../support/school-world.js';
import { cosmosOperations, startTestApp, type TestApp } from '../support/test-app.js';

let test: TestApp;
let world: SchoolWorld;
let base: string;

beforeAll(async () => {
  test = await startTestApp();
  world = await buildSchoolWorld(test);
  base = `/municipalities/${world.home}`;
});
afterAll(() => test.close());

const ids = (response: { body: { items: { id: string }[] } }) => response.body.items.map((item) => item.id).sort();

describe('student visibility (P5)', () => {
  it('group visibility: a teacher sees only the students of the groups they teach', async () => {
    const { groupTeacher, schoolTeacher } = world.actors;
    expect(ids(await test.request('GET', `${base}/students`, { token: groupTeacher.token }))).toEqual([world.students.inGroup]);
    expect(ids(await test.request('GET', `${base}/students`, { token: schoolTeacher.token }))).toEqual([]);
    expect((await test.request('GET', `${base}/students/${world.students.inGroup}`, { token: groupTeacher.token })).status).toBe(200);
    expect((await test.request('GET', `${base}/students/${world.students.sameSchool}`, { token: groupTeacher.token })).status).toBe(404);
  });

  it('school and municipality visibility widen what teachers see, and apply at once', async () => {
    const { schoolTeacher, dataAdmin } = world.actors;
    await setVisibility(test, world.home, 'school', dataAdmin);
    expect(ids(await test.request('GET', `${base}/students`, { token: schoolTeacher.token }))).toEqual([world.students.inGroup, world.students.sameSchool].sort());
    await setVisibility(test, world.home, 'municipality', dataAdmin);
    expect(ids(await test.request('GET', `${base}/students`, { token: schoolTeacher.token }))).toHaveLength(3);
    await setVisibility(test, world.home, 'group', dataAdmin);
    expect(ids(await test.request('GET', `${base}/students`, { token: schoolTeacher.token }))).toEqual([]);
  });

  it('school admins see their own schools, municipality and data admins see the municipality, foreigners nothing', async () => {
    expect(ids(await test.request('GET', `${base}/students`, { token: world.actors.schoolAdmin.token }))).toEqual([world.students.inGroup, world.students.sameSchool].sort());
    expect(ids(await test.request('GET', `${base}/students`, { token: world.actors.otherSchoolAdmin.token }))).toEqual([world.students.otherSchool]);
    expect(ids(await test.request('GET', `${base}/students`, { token: world.actors.dataAdmin.token }))).toHaveLength(3);
    const foreign = await test.request('GET', `${base}/students`, { token: world.actors.foreignAdmin.token });
    expect(foreign.status).toBe(404);
    expect(foreign.text).not.toContain(world.students.inGroup);
  });

  it('group membership changes move visibility with them', async () => {
    const { schoolTeacher, municipalityAdmin } = world.actors;
    const group = await test.request('GET', `${base}/groups/${world.group}`, { token: municipalityAdmin.token });
    const add = await test.request('PATCH', `${base}/groups/${world.group}`, {
      token: municipalityAdmin.token,
      body: { teacherIds: [...group.body.teacherIds, schoolTeacher.id] },
      headers: { 'if-match': group.headers.get('etag') as string },
    });
    expect(add.status).toBe(200);
    expect((await test.request('GET', `${base}/students/${world.students.inGroup}`, { token: schoolTeacher.token })).status).toBe(200);
    const remove = await test.request('PATCH', `${base}/groups/${world.group}`, {
      token: municipalityAdmin.token,
      body: { teacherIds: group.body.teacherIds },
      headers: { 'if-match': add.headers.get('etag') as string },
    });
    expect(remove.status).toBe(200);
    expect((await test.request('GET', `${base}/students/${world.students.inGroup}`, { token: schoolTeacher.token })).status).toBe(404);
  });
});

describe('records', () => {
  it('a teacher records and corrects an assessment of a student in their group, with ETags', async () => {
    const { groupTeacher } = world.actors;
    const path = `${base}/students/${world.students.inGroup}/assessments`;
    const created = await test.request('POST', path, { token: groupTeacher.token, body: { ...RECORD_BODIES.assessment, score: 20 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ studentId: world.students.inGroup, schoolId: world.schools.own, yearLevel: 8, authorId: groupTeacher.id, score: 20 });
    const read = await test.request('GET', `${path}/${created.body.id}`, { token: groupTeacher.token });
    expect(read.status).toBe(200);
    const patched = await test.request('PATCH', `${path}/${created.body.id}`, {
      token: groupTeacher.token,
      body: { score: 25 },
      headers: { 'if-match': read.headers.get('etag') as string },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.score).toBe(25);
    const invalid = await test.request('PATCH', `${path}/${created.body.id}`, {
      token: groupTeacher.token,
      body: { score: 99 },
      headers: { 'if-match': patched.headers.get('etag') as string },
    });
    expect(invalid.status).toBe(400);
  });

  it('teachers cannot write records of students they cannot see; admins cannot write records at all', async () => {
    const path = `${base}/students/${world.students.sameSchool}/grades`;
    expect((await test.request('POST', path, { token: world.actors.groupTeacher.token, body: RECORD_BODIES.grade })).status).toBe(404);
    expect((await test.request('POST', path, { token: world.actors.schoolAdmin.token, body: RECORD_BODIES.grade })).status).toBe(403);
  });

  it('a record id of another student is not found through this student', async () => {
    const other = world.records.sameSchool.grade;
    const response = await test.request('GET', `${base}/students/${world.students.inGroup}/grades/${other}`, { token: world.actors.dataAdmin.token });
    expect(response.status).toBe(404);
  });

  it('strict schemas: unknown fields and special categories are rejected (P19)', async () => {
    const path = `${base}/students/${world.students.inGroup}/evaluations`;
    for (const extra of [{ diagnosis: 'x' }, { religion: 'x' }, { health: 'x' }, { ethnicity: 'x' }]) {
      const response = await test.request('POST', path, { token: world.actors.groupTeacher.token, body: { ...RECORD_BODIES.evaluation, ...extra } });
      expect(response.status).toBe(400);
    }
    const student = await test.request('POST', `${base}/students`, {
      token: world.actors.municipalityAdmin.token,
      body: { givenName: 'A', familyName: 'B', birthDate: '2012-01-01', schoolId: world.schools.own, yearLevel: 8, specialNeeds: true },
    });
    expect(student.status).toBe(400);
  });

  it('a read by id costs one point read for the record plus one for the student, and one audit write; a list one query', async () => {
    const token = world.actors.dataAdmin.token;
    const path = `${base}/students/${world.students.inGroup}/grades`;
    await test.request('GET', path, { token });
    const byId = await test.request('GET', `${path}/${world.records.inGroup.grade}`, { token });
    expect(cosmosOperations(byId)).toEqual({ 'point-read': 2, 'partition-query': 0, 'cross-partition-query': 0, write: 1, 'guard-write': 0 });
    const list = await test.request('GET', path, { token });
    expect(cosmosOperations(list)).toEqual({ 'point-read': 1, 'partition-query': 1, 'cross-partition-query': 0, write: 1, 'guard-write': 0 });
    const student = await test.request('GET', `${base}/students/${world.students.inGroup}`, { token });
    expect(cosmosOperations(student)).toEqual({ 'point-read': 1, 'partition-query': 0, 'cross-partition-query': 0, write: 1, 'guard-write': 0 });
    const students = await test.request('GET', `${base}/students`, { token });
    expect(cosmosOperations(students)).toEqual({ 'point-read': 0, 'partition-query': 1, 'cross-partition-query': 0, write: 1, 'guard-write': 0 });
  });
});

describe('consistency', () => {
  it('deleting a school or group with members is refused with 409; empty ones go', async () => {
    const admin = world.actors.municipalityAdmin.token;
    expect((await test.request('DELETE', `${base}/schools/${world.schools.own}`, { token: admin })).status).toBe(409);
    expect((await test.request('DELETE', `${base}/groups/${world.group}`, { token: admin })).status).toBe(409);
    const empty = await test.request('POST', `${base}/schools`, { token: admin, body: { name: 'Tom skole' } });
    expect((await test.request('DELETE', `${base}/schools/${empty.body.id}`, { token: admin })).status).toBe(204);
    expect((await test.request('GET', `${base}/schools/${empty.body.id}`, { token: admin })).status).toBe(404);
  });

  it('deleting a student or user is erasure: only the data admin, only with an instruction (tests/privacy)', async () => {
    const path = `${base}/students/${world.students.inGroup}?instructionReference=SAK-1`;
    expect((await test.request('DELETE', path, { token: world.actors.municipalityAdmin.token })).status).toBe(403);
    expect((await test.request('DELETE', `${base}/users/${world.actors.groupTeacher.id}`, { token: world.actors.dataAdmin.token })).status).toBe(400);
  });

  it('concurrent PATCHes of a student with the same ETag: exactly one wins', async () => {
    const admin = world.actors.municipalityAdmin.token;
    const path = `${base}/students/${world.students.sameSchool}`;
    const read = await test.request('GET', path, { token: admin });
    const attempts = await Promise.all([9, 10, 11, 12].map((yearLevel) =>
      test.request('PATCH', path, { token: admin, body: { yearLevel }, headers: { 'if-match': read.headers.get('etag') as string } })));
    expect(attempts.map((attempt) => attempt.status).sort()).toEqual([200, 412, 412, 412]);
    const winner = attempts.find((attempt) => attempt.status === 200)?.body.yearLevel;
    expect((await test.request('GET', path, { token: admin })).body.yearLevel).toBe(winner);
  });
});

describe('paging', () => {
  it("continuation tokens are opaque and bound to the list and tenant that issued them", async () => {
    const first = await test.request('GET', `${base}/students?limit=1`, { token: world.actors.dataAdmin.token });
    expect(first.body.items).toHaveLength(1);
    const token = first.body.continuationToken as string;
    expect(token).toEqual(expect.any(String));
    expect(Buffer.from(token, 'base64url').toString('utf8')).not.toContain(world.home);
    const next = await test.request('GET', `${base}/students?limit=1&continuationToken=${token}`, { token: world.actors.dataAdmin.token });
    expect(next.status).toBe(200);
    expect(next.body.items[0].id).not.toBe(first.body.items[0].id);
    const foreign = await test.request('GET', `/municipalities/${world.foreign}/students?limit=1&continuationToken=${token}`, { token: world.actors.foreignAdmin.token });
    expect(foreign.status).toBe(400);
    expect(foreign.body.type).toBe('urn:engage:problem:invalid-continuation-token');
    const otherList = await test.request('GET', `${base}/schools?limit=1&continuationToken=${token}`, { token: world.actors.dataAdmin.token });
    expect(otherList.status).toBe(400);
  });
});

describe('audit', () => {
  it('records reads and changes by id only, filterable by target', async () => {
    const token = world.actors.dataAdmin.token;
    await test.request('GET', `${base}/students/${world.students.otherSchool}`, { token: world.actors.otherSchoolAdmin.token });
    const response = await test.request('GET', `${base}/audit?targetId=${world.students.otherSchool}`, { token });
    expect(response.status).toBe(200);
    const actions = response.body.items.map((entry: { action: string }) => entry.action);
    expect(actions).toEqual(expect.arrayContaining(['read', 'create']));
    const reader = response.body.items.find((entry: { action: string; actorId: string }) => entry.action === 'read' && entry.actorId === world.actors.otherSchoolAdmin.id);
    expect(reader).toMatchObject({ actorRole: 'school-admin', resourceType: 'student' });
    expect(response.text).not.toMatch(/Ærlend|Testesen|2012-03-04/);
    expect((await test.request('GET', `${base}/audit`, { token: world.actors.municipalityAdmin.token })).status).toBe(403);
    expect((await test.request('GET', `${base}/audit?month=2026-13`, { token })).status).toBe(400);
  });
});
