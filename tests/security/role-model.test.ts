import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRole } from '../../lib/identity/principal.js';
import { DEV_ISSUER } from '../../local/dev-issuer.js';
import { erasuresSettled } from '../support/erasures.js';
import { bootstrapAdminToken, createStaffUser, registerMunicipality, startTestApp, type SeededUser, type TestApp } from '../support/test-app.js';

/**
 * The role model (docs/role-model.md), every grant rule over HTTP: who may grant which role
 * to whom, who may erase whom, and what a platform operator may do in a tenant. The expected
 * statuses are written here from the documented table, not from lib/directory/role-model.ts.
 */
const M = '5401';
let test: TestApp;
let schoolA: string;
let schoolB: string;
const people: Record<string, SeededUser> = {};

beforeAll(async () => {
  test = await startTestApp();
  await registerMunicipality(test, M);
  const first = await bootstrapAdminToken(test, M);
  schoolA = (await test.request('POST', `/municipalities/${M}/schools`, { token: first, body: { name: 'Tromsdalen skole' } })).body.id;
  schoolB = (await test.request('POST', `/municipalities/${M}/schools`, { token: first, body: { name: 'Kroken skole' } })).body.id;
  people.mAdmin = await createStaffUser(test, M, ['municipality-admin']);
  people.dAdmin = await createStaffUser(test, M, ['data-admin']);
  people.sAdmin = await createStaffUser(test, M, ['school-admin'], { schoolIds: [schoolA] });
  people.teacherA = await createStaffUser(test, M, ['teacher'], { schoolIds: [schoolA] });
  people.teacherB = await createStaffUser(test, M, ['teacher'], { schoolIds: [schoolB] });
}, 60_000);
afterAll(() => test.close());

const path = (user: string) => `/municipalities/${M}/users/${people[user]?.id}`;

async function patch(caller: string, target: string, body: Record<string, unknown>): Promise<number> {
  const read = await test.request('GET', path(target), { token: people[caller]?.token ?? (await bootstrapAdminToken(test, M)) });
  const etag = read.headers.get('etag') ?? '"none"';
  return (await test.request('PATCH', path(target), { token: people[caller]?.token, headers: { 'if-match': etag }, body })).status;
}

async function rolesOf(user: string): Promise<TenantRole[]> {
  return (await test.request('GET', path(user), { token: await bootstrapAdminToken(test, M) })).body.roles;
}

async function createAs(token: string, roles: TenantRole[], schoolIds: string[] = []): Promise<number> {
  const subject = `role-model-${randomUUID()}`;
  const response = await test.request('POST', `/municipalities/${M}/users`, {
    token,
    body: { name: 'Ny Ansatt', email: `${subject}@example.test`, roles, schoolIds, identity: { issuer: DEV_ISSUER, subject } },
  });
  return response.status;
}

describe('granting roles: each role grants only what the table says, never to itself', () => {
  const cases: [caller: string, target: string, roles: (current: TenantRole[]) => TenantRole[], expected: number, rule: string][] = [
    ['mAdmin', 'teacherA', (r) => [...r, 'school-admin'], 200, 'a municipality admin grants school-admin'],
    ['mAdmin', 'teacherA', () => ['teacher'], 200, 'and removes it'],
    ['mAdmin', 'teacherA', (r) => [...r, 'municipality-admin'], 200, 'a municipality admin grants municipality-admin'],
    ['mAdmin', 'teacherA', () => ['teacher'], 200, 'and removes it'],
    ['mAdmin', 'teacherA', (r) => [...r, 'data-admin'], 403, 'a municipality admin never grants data-admin'],
    ['mAdmin', 'mAdmin', (r) => [...r, 'data-admin'], 403, 'nobody raises their own roles'],
    ['mAdmin', 'mAdmin', () => ['teacher'], 403, 'nobody changes their own roles'],
    ['dAdmin', 'teacherA', (r) => [...r, 'data-admin'], 200, 'a data admin grants data-admin'],
    ['dAdmin', 'teacherA', () => ['teacher'], 200, 'and removes it'],
    ['dAdmin', 'teacherA', (r) => [...r, 'school-admin'], 403, 'a data admin grants nothing else'],
    ['dAdmin', 'dAdmin', (r) => [...r, 'municipality-admin'], 403, 'a data admin does not raise itself'],
    ['sAdmin', 'teacherA', (r) => [...r, 'school-admin'], 200, 'a school admin grants school-admin at its school'],
    ['sAdmin', 'teacherA', () => ['teacher'], 200, 'and removes it'],
    ['sAdmin', 'teacherA', (r) => [...r, 'municipality-admin'], 403, 'a school admin never grants municipality-admin'],
    ['sAdmin', 'teacherA', (r) => [...r, 'data-admin'], 403, 'a school admin never grants data-admin'],
    ['sAdmin', 'sAdmin', (r) => [...r, 'municipality-admin'], 403, 'a school admin does not raise itself'],
    ['sAdmin', 'teacherB', (r) => [...r, 'school-admin'], 404, 'a school admin does not see staff of other schools'],
    ['teacherA', 'teacherA', (r) => [...r, 'school-admin'], 403, 'a teacher grants nothing, not even to itself'],
  ];
  for (const [caller, target, roles, expected, rule] of cases) {
    it(`${rule}: ${caller} → ${target} answers ${expected}`, async () => {
      expect(await patch(caller, target, { roles: roles(await rolesOf(target)) })).toBe(expected);
    });
  }

  it('a school admin assigns its own schools only, and changes no one at the municipality level', async () => {
    expect(await patch('sAdmin', 'teacherA', { schoolIds: [schoolA, schoolB] })).toBe(403);
    expect(await patch('sAdmin', 'teacherA', { schoolIds: [] })).toBe(403);
    expect(await patch('sAdmin', 'teacherA', { name: 'Omdøpt Lærer' })).toBe(200);
    // A municipality admin at the school is out of reach, whatever the change.
    await patch('mAdmin', 'teacherA', { roles: ['teacher', 'municipality-admin'] });
    expect(await patch('sAdmin', 'teacherA', { name: 'Igjen Omdøpt' })).toBe(403);
    await patch('mAdmin', 'teacherA', { roles: ['teacher'] });
  });

  it('a data admin does not manage staff otherwise: no names, no schools', async () => {
    expect(await patch('dAdmin', 'teacherA', { name: 'Ikke Ditt Felt' })).toBe(403);
    expect(await patch('dAdmin', 'teacherA', { schoolIds: [schoolB] })).toBe(403);
  });

  it('registering: a municipality admin registers every role but data-admin; a school admin teachers and school admins at its schools', async () => {
    expect(await createAs(people.mAdmin!.token, ['municipality-admin'])).toBe(201);
    expect(await createAs(people.mAdmin!.token, ['data-admin'])).toBe(403);
    expect(await createAs(people.sAdmin!.token, ['teacher'], [schoolA])).toBe(201);
    expect(await createAs(people.sAdmin!.token, ['teacher'], [schoolB])).toBe(403);
    expect(await createAs(people.sAdmin!.token, ['municipality-admin'], [schoolA])).toBe(403);
    expect(await createAs(people.dAdmin!.token, ['data-admin'])).toBe(403);
  });
});

describe('the last data admin, and erasure of admins', () => {
  it('nobody erases themselves; another data admin must instruct it', async () => {
    const own = await test.request('DELETE', `${path('dAdmin')}?instructionReference=SAK-SELV`, { token: people.dAdmin?.token });
    expect(own.status).toBe(403);
    const bulk = await test.request('POST', `/municipalities/${M}/erasures`, {
      token: people.dAdmin?.token,
      body: { subjectType: 'user', subjectIds: [people.dAdmin?.id, people.teacherB?.id], instructionReference: 'SAK-SELV-2' },
    });
    expect(bulk.status).toBe(403);
    expect((await test.request('GET', path('dAdmin'), { token: people.dAdmin?.token })).status).toBe(200);
  });

  it('the last data admin cannot go: two data admins demoting each other at once leave one, never none', async () => {
    for (let round = 0; round < 3; round++) {
      const [a, b] = await twoDataAdminsAlone(`55${10 + round}`);
      const statuses = await Promise.all([
        demote(a, b),
        demote(b, a),
      ]);
      expect(statuses.filter((status) => status === 200), statuses.join()).toHaveLength(1);
      expect(statuses.filter((status) => status !== 200).every((status) => status === 409 || status === 403), statuses.join()).toBe(true);
      expect(await dataAdminsOf(a.municipalityId)).toBe(1);
    }
  });

  it('nor by erasing each other at once', async () => {
    for (let round = 0; round < 3; round++) {
      const [a, b] = await twoDataAdminsAlone(`55${20 + round}`);
      const statuses = await Promise.all([erase(a, b), erase(b, a)]);
      expect(statuses.filter((status) => status === 202), statuses.join()).toHaveLength(1);
      expect(statuses.filter((status) => status !== 202).every((status) => status === 409 || status === 403), statuses.join()).toBe(true);
      await erasuresSettled(test);
      expect(await dataAdminsOf(a.municipalityId)).toBe(1);
    }
  });

  it('and the one left cannot step down or erase itself', async () => {
    const [a, b] = await twoDataAdminsAlone('5530');
    expect(await demote(a, b)).toBe(200);
    expect(await demote(a, a)).toBe(403);
    expect(await erase(a, a)).toBe(403);
    expect(await dataAdminsOf(a.municipalityId)).toBe(1);
  });
});

interface Admin extends SeededUser {
  municipalityId: string;
}

/** A municipality whose only data admins are its first admin and one more. */
async function twoDataAdminsAlone(municipalityId: string): Promise<[Admin, Admin]> {
  await registerMunicipality(test, municipalityId);
  const first = await bootstrapAdminToken(test, municipalityId);
  const me = (await test.request('GET', '/me', { token: first })).body;
  const second = await createStaffUser(test, municipalityId, ['data-admin']);
  return [
    { id: me.userId, subject: '', token: first, municipalityId },
    { ...second, municipalityId },
  ];
}

async function demote(caller: Admin, target: Admin): Promise<number> {
  const path = `/municipalities/${target.municipalityId}/users/${target.id}`;
  const read = await test.request('GET', path, { token: caller.token });
  const roles = (read.body.roles as TenantRole[] | undefined)?.filter((role) => role !== 'data-admin');
  const body = { roles: roles && roles.length > 0 ? roles : ['teacher'] };
  return (await test.request('PATCH', path, { token: caller.token, headers: { 'if-match': read.headers.get('etag') ?? '"none"' }, body })).status;
}

async function erase(caller: Admin, target: Admin): Promise<number> {
  const path = `/municipalities/${target.municipalityId}/users/${target.id}?instructionReference=SAK-${randomUUID().slice(0, 8)}`;
  return (await test.request('DELETE', path, { token: caller.token })).status;
}

function dataAdminsOf(municipalityId: string): Promise<number> {
  return test.app.services.users.countWithRole(municipalityId, 'data-admin');
}

describe('platform operators: bootstrap only, and every write in the tenant is in its audit', () => {
  it('an operator registers a municipality and its first admin; then no one else, in that municipality or any other with an admin', async () => {
    const operator = await test.operatorToken();
    await registerMunicipality(test, '5402');
    const firstAdmin = `first-5402-${randomUUID()}`;
    const bootstrap = await test.request('POST', '/municipalities/5402/users', {
      token: operator,
      body: { name: 'Første Admin', email: 'first@example.test', roles: ['municipality-admin', 'data-admin'], schoolIds: [], identity: { issuer: DEV_ISSUER, subject: firstAdmin } },
    });
    expect(bootstrap.status).toBe(201);
    for (const roles of [['municipality-admin'], ['data-admin'], ['teacher']] as TenantRole[][]) {
      expect(await createAs(operator, roles)).toBe(403);
      const second = await test.request('POST', '/municipalities/5402/users', {
        token: operator,
        body: { name: 'Skygge', email: 'shadow@example.test', roles, schoolIds: [], identity: { issuer: DEV_ISSUER, subject: `shadow-${randomUUID()}` } },
      });
      expect(second.status, roles.join()).toBe(403);
    }
    // Even the first admin only with admin roles: no teacher, no schools.
    await registerMunicipality(test, '5403');
    expect(
      (await test.request('POST', '/municipalities/5403/users', {
        token: operator,
        body: { name: 'Lærer', email: 'l@example.test', roles: ['teacher'], schoolIds: [], identity: { issuer: DEV_ISSUER, subject: `t-${randomUUID()}` } },
      })).status,
    ).toBe(403);
  });

  it("the municipality's admins list what operators did there: its registration and its first admin, by one pseudonymous operator", async () => {
    const token = people.mAdmin?.token as string;
    const actions = await test.request('GET', `/municipalities/${M}/operator-actions`, { token });
    expect(actions.status).toBe(200);
    const entries = actions.body.items as { actorId: string; actorRole: string; action: string; resourceType: string }[];
    expect(entries.map((entry) => `${entry.action} ${entry.resourceType}`).sort()).toEqual(['create municipality', 'create user']);
    expect(new Set(entries.map((entry) => entry.actorId)).size).toBe(1);
    expect(entries[0]?.actorId).toMatch(/^operator:[A-Za-z0-9_-]{22}$/);
    expect(entries.every((entry) => entry.actorRole === 'platform-operator')).toBe(true);
    // A teacher may not; the operator may not read a tenant's audit either.
    expect((await test.request('GET', `/municipalities/${M}/operator-actions`, { token: people.teacherA?.token })).status).toBe(403);
    expect((await test.request('GET', `/municipalities/${M}/operator-actions`, { token: await test.operatorToken() })).status).toBe(404);
  });
});
