import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchoolWorld, type SchoolWorld } from '../support/school-world.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let test: TestApp;
let world: SchoolWorld;
let base: string;

beforeAll(async () => {
  test = await startTestApp();
  world = await buildSchoolWorld(test);
  base = `/municipalities/${world.home}`;
}, 180_000);
afterAll(() => test.close());

const student = (overrides: Record<string, unknown>) => ({
  givenName: 'Avgang', familyName: 'Datosen', birthDate: '2015-02-03', schoolId: world.schools.own, yearLevel: 10, ...overrides,
});

async function studentCount(): Promise<number> {
  const { resources } = await test.app.services.cosmos.containers.directory.items
    .query<number>({ query: "SELECT VALUE COUNT(1) FROM c WHERE c.municipalityId = @m AND c.type = 'student'", parameters: [{ name: '@m', value: world.home }] })
    .fetchAll();
  return resources[0] ?? 0;
}

describe('a leaver has a leaving date (leftAt), and only a leaver has one', () => {
  it('registering a leaver without leftAt is a 400 problem naming body/leftAt, and no student is stored', async () => {
    const before = await studentCount();
    const refused = await test.request('POST', `${base}/students`, { token: world.actors.municipalityAdmin.token, body: student({ status: 'leaver' }) });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: 'urn:engage:problem:validation', status: 400, errors: [{ field: 'body/leftAt', message: 'is required for a leaver' }] });
    const active = await test.request('POST', `${base}/students`, { token: world.actors.municipalityAdmin.token, body: student({ leftAt: '2031-06-20' }) });
    expect(active.status).toBe(400);
    expect(active.body.errors).toEqual([{ field: 'body/leftAt', message: 'is only for leavers' }]);
    expect(await studentCount()).toBe(before);
    const leaver = await test.request('POST', `${base}/students`, { token: world.actors.municipalityAdmin.token, body: student({ status: 'leaver', leftAt: '2031-06-20' }) });
    expect(leaver.status, leaver.text).toBe(201);
  });

  it('making a student a leaver without leftAt is refused and leaves the student as it was; with leftAt it works; made active again, the date goes', async () => {
    const created = await test.request('POST', `${base}/students`, { token: world.actors.municipalityAdmin.token, body: student({}) });
    const path = `${base}/students/${created.body.id}`;
    const token = world.actors.municipalityAdmin.token;
    const etag = created.headers.get('etag') as string;
    const refused = await test.request('PATCH', path, { token, body: { status: 'leaver' }, headers: { 'if-match': etag } });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ field: 'body/leftAt', message: 'is required for a leaver' }]);
    const unchanged = await test.request('GET', path, { token });
    expect(unchanged.headers.get('etag')).toBe(etag);
    expect(unchanged.body).toEqual(created.body);

    const left = await test.request('PATCH', path, { token, body: { status: 'leaver', leftAt: '2031-06-20' }, headers: { 'if-match': etag } });
    expect(left.status, left.text).toBe(200);
    expect(left.body).toMatchObject({ status: 'leaver', leftAt: '2031-06-20' });
    const back = await test.request('PATCH', path, { token, body: { status: 'active' }, headers: { 'if-match': left.headers.get('etag') as string } });
    expect(back.status, back.text).toBe(200);
    expect(back.body.status).toBe('active');
    expect(back.body).not.toHaveProperty('leftAt');
  });
});
