import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_ISSUER } from '../../local/dev-issuer.js';
import { bootstrapAdminToken, cosmosOperations, createStaffUser, registerMunicipality, startTestApp, type SeededUser, type TestApp } from '../support/test-app.js';

let test: TestApp;
let operator: string;
let dataAdmin: SeededUser;
let teacher: SeededUser;
let foreignAdmin: SeededUser;

beforeAll(async () => {
  test = await startTestApp();
  operator = await test.operatorToken();
  await registerMunicipality(test, '0301', 'Oslo');
  await registerMunicipality(test, '4601', 'Bergen');
  dataAdmin = await createStaffUser(test, '0301', ['data-admin']);
  teacher = await createStaffUser(test, '0301', ['teacher']);
  foreignAdmin = await createStaffUser(test, '4601', ['data-admin', 'municipality-admin']);
});
afterAll(() => test.close());

describe('municipalities', () => {
  it('the operator registers and lists every municipality with one single-partition query', async () => {
    const response = await test.request('GET', '/municipalities', { token: operator });
    expect(response.status).toBe(200);
    expect(response.body.items.map((m: { id: string }) => m.id).sort()).toEqual(['0301', '4601']);
    expect(cosmosOperations(response)).toMatchObject({ 'partition-query': 1, 'cross-partition-query': 0, 'point-read': 0 });
  });

  it('pages with opaque continuation tokens', async () => {
    const first = await test.request('GET', '/municipalities?limit=1', { token: operator });
    expect(first.body.items).toHaveLength(1);
    expect(first.body.continuationToken).toEqual(expect.any(String));
    const second = await test.request('GET', `/municipalities?limit=1&continuationToken=${encodeURIComponent(first.body.continuationToken)}`, { token: operator });
    expect(second.status).toBe(200);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
  });

  it('staff see only their own municipality; a foreign one answers 404', async () => {
    const list = await test.request('GET', '/municipalities', { token: teacher.token });
    expect(list.body.items.map((m: { id: string }) => m.id)).toEqual(['0301']);
    await test.request('GET', '/me', { token: teacher.token });
    const own = await test.request('GET', '/municipalities/0301', { token: teacher.token });
    expect(own.status).toBe(200);
    expect(cosmosOperations(own)).toMatchObject({ 'point-read': 1, 'partition-query': 0, 'cross-partition-query': 0 });
    const foreign = await test.request('GET', '/municipalities/4601', { token: teacher.token });
    expect(foreign.status).toBe(404);
    expect(foreign.text).not.toContain('Bergen');
  });

  it('the operator reads any municipality; an unknown one is 404', async () => {
    expect((await test.request('GET', '/municipalities/4601', { token: operator })).body.name).toBe('Bergen');
    expect((await test.request('GET', '/municipalities/9999', { token: operator })).status).toBe(404);
  });
});

describe('settings (data-admin, ETag and If-Match)', () => {
  it('reads defaults with an ETag, in one point read once the caller is cached', async () => {
    await test.request('GET', '/me', { token: dataAdmin.token });
    const response = await test.request('GET', '/municipalities/0301/settings', { token: dataAdmin.token });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ studentVisibility: 'group', leaverReportRetentionMonths: 12 });
    expect(response.headers.get('etag')).toMatch(/^".+"$/);
    expect(cosmosOperations(response)['point-read']).toBe(1);
  });

  it('PATCH without If-Match is 428, with a stale one 412, with the current one 200', async () => {
    const read = await test.request('GET', '/municipalities/0301/settings', { token: dataAdmin.token });
    const etag = read.headers.get('etag') as string;
    const missing = await test.request('PATCH', '/municipalities/0301/settings', { token: dataAdmin.token, body: { studentVisibility: 'school' } });
    expect(missing.status).toBe(428);
    const ok = await test.request('PATCH', '/municipalities/0301/settings', {
      token: dataAdmin.token,
      body: { studentVisibility: 'school' },
      headers: { 'if-match': etag },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.studentVisibility).toBe('school');
    expect(ok.headers.get('etag')).not.toBe(etag);
    const stale = await test.request('PATCH', '/municipalities/0301/settings', {
      token: dataAdmin.token,
      body: { leaverReportRetentionMonths: 6 },
      headers: { 'if-match': etag },
    });
    expect(stale.status).toBe(412);
    const after = await test.request('GET', '/municipalities/0301/settings', { token: dataAdmin.token });
    expect(after.body.leaverReportRetentionMonths).toBe(12);
  });

  it('concurrent PATCHes with the same ETag: exactly one wins', async () => {
    const read = await test.request('GET', '/municipalities/0301/settings', { token: dataAdmin.token });
    const etag = read.headers.get('etag') as string;
    const attempts = await Promise.all(
      [3, 4, 5, 7, 8].map((months) =>
        test.request('PATCH', '/municipalities/0301/settings', {
          token: dataAdmin.token,
          body: { leaverReportRetentionMonths: months },
          headers: { 'if-match': etag },
        }),
      ),
    );
    const statuses = attempts.map((attempt) => attempt.status).sort();
    expect(statuses).toEqual([200, 412, 412, 412, 412]);
    const winner = attempts.find((attempt) => attempt.status === 200);
    const after = await test.request('GET', '/municipalities/0301/settings', { token: dataAdmin.token });
    expect(after.body.leaverReportRetentionMonths).toBe(winner?.body.leaverReportRetentionMonths);
  });

  it('rejects retention outside 1-12 months and unknown settings', async () => {
    const read = await test.request('GET', '/municipalities/0301/settings', { token: dataAdmin.token });
    for (const body of [{ leaverReportRetentionMonths: 13 }, { leaverReportRetentionMonths: 0 }, { retainForever: true }, {}]) {
      const response = await test.request('PATCH', '/municipalities/0301/settings', {
        token: dataAdmin.token,
        body,
        headers: { 'if-match': read.headers.get('etag') as string },
      });
      expect(response.status).toBe(400);
    }
  });

  it('only the data-admin of the municipality reaches settings', async () => {
    expect((await test.request('GET', '/municipalities/0301/settings', { token: teacher.token })).status).toBe(403);
    expect((await test.request('GET', '/municipalities/0301/settings', { token: foreignAdmin.token })).status).toBe(404);
    expect((await test.request('GET', '/municipalities/0301/settings', { token: operator })).status).toBe(404);
  });
});

describe('bootstrapping users', () => {
  it('the operator creates a new municipality\'s first admin without seeing personal data back, and the admin signs in', async () => {
    await registerMunicipality(test, '0302');
    const subject = 'bootstrap-admin-1';
    const response = await test.request('POST', '/municipalities/0302/users', {
      token: operator,
      body: {
        name: 'Kari Nordmann',
        email: 'kari.nordmann@oslo.kommune.test',
        phone: '+47 912 34 567',
        roles: ['municipality-admin', 'data-admin'],
        schoolIds: [],
        identity: { issuer: DEV_ISSUER, subject },
      },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe(`/api/municipalities/0302/users/${response.body.id}`);
    expect(response.text).not.toMatch(/Kari|Nordmann|kari\.nordmann|912/);
    const me = await test.request('GET', '/me', { token: await test.token(subject) });
    expect(me.body).toEqual({
      kind: 'staff',
      userId: response.body.id,
      municipalityId: '0302',
      roles: ['municipality-admin', 'data-admin'],
      schoolIds: [],
      memberships: ['0302'],
      policy: { appliesVersion: null, pendingVersion: null },
    });
  });

  it('an identity is registered once per municipality (409 there)', async () => {
    const body = { name: 'A', email: 'a@example.test', roles: ['teacher'], identity: { issuer: DEV_ISSUER, subject: teacher.subject } };
    expect((await test.request('POST', '/municipalities/0301/users', { token: await bootstrapAdminToken(test, '0301'), body })).status).toBe(409);
  });

  it('one identity, several municipalities: each admin registers it without learning of the other, and the tenant picks the user', async () => {
    const subject = `two-jobs-${Date.now()}`;
    const body = { name: 'Pendler Lærer', email: 'pendler@example.test', roles: ['teacher'], identity: { issuer: DEV_ISSUER, subject } };
    const inOslo = await test.request('POST', '/municipalities/0301/users', { token: await bootstrapAdminToken(test, '0301'), body });
    expect(inOslo.status).toBe(201);
    // Bergen's admin registers the same identity as they would any other: no 409, nothing about Oslo.
    const inBergen = await test.request('POST', '/municipalities/4601/users', { token: foreignAdmin.token, body: { ...body, roles: ['municipality-admin'] } });
    expect(inBergen.status).toBe(201);
    expect(inBergen.text).not.toContain('0301');
    const token = await test.token(subject);
    // In the path, the municipality decides which user the identity is.
    expect((await test.request('GET', `/municipalities/0301/users/${inOslo.body.id}`, { token })).body.roles).toEqual(['teacher']);
    expect((await test.request('GET', `/municipalities/4601/users/${inBergen.body.id}`, { token })).body.roles).toEqual(['municipality-admin']);
    // The Oslo teacher is no admin in Oslo, whatever they are in Bergen.
    expect((await test.request('GET', '/municipalities/0301/users', { token })).status).toBe(403);
    // Outside the path, /me lists both and the header picks one; a staff route without a choice is refused.
    const me = await test.request('GET', '/me', { token });
    expect(me.body.memberships).toEqual(['0301', '4601']);
    const asBergen = await test.request('GET', '/me', { token, headers: { 'engage-municipality': '4601' } });
    expect(asBergen.body).toMatchObject({ municipalityId: '4601', userId: inBergen.body.id, roles: ['municipality-admin'] });
    const elsewhere = await test.request('GET', '/me', { token, headers: { 'engage-municipality': '5001' } });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.text).not.toContain('5001');
    // A second registration in the same municipality is the only 409.
    expect((await test.request('POST', '/municipalities/4601/users', { token: foreignAdmin.token, body })).status).toBe(409);
  });

  it('404 for an unregistered municipality; special-category and unknown fields rejected (P19)', async () => {
    const body = { name: 'A', email: 'a@example.test', roles: ['teacher'], identity: { issuer: DEV_ISSUER, subject: 'x-1' } };
    expect((await test.request('POST', '/municipalities/9998/users', { token: operator, body })).status).toBe(404);
    const withHealth = await test.request('POST', '/municipalities/0301/users', { token: operator, body: { ...body, healthNotes: 'x' } });
    expect(withHealth.status).toBe(400);
  });

  it('a teacher cannot create users; a foreign admin gets 404', async () => {
    const body = { name: 'A', email: 'a@example.test', roles: ['teacher'], identity: { issuer: DEV_ISSUER, subject: 'x-2' } };
    expect((await test.request('POST', '/municipalities/0301/users', { token: teacher.token, body })).status).toBe(403);
    expect((await test.request('POST', '/municipalities/0301/users', { token: foreignAdmin.token, body })).status).toBe(404);
  });

  it('an unregistered identity is told so by /me', async () => {
    const me = await test.request('GET', '/me', { token: await test.token('stranger') });
    expect(me.body).toMatchObject({ kind: 'unregistered', roles: [], municipalityId: null });
  });
});
