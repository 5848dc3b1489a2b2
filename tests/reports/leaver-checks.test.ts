import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchoolWorld, type SchoolWorld } from '../support/school-world.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { generate } from './report-fixtures.js';

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

async function countOf(container: 'directory' | 'reports', type: string): Promise<number> {
  const { resources } = await test.app.services.cosmos.containers[container].items
    .query<number>({ query: 'SELECT VALUE COUNT(1) FROM c WHERE c.municipalityId = @m AND c.type = @t', parameters: [{ name: '@m', value: world.home }, { name: '@t', value: type }] })
    .fetchAll();
  return resources[0] ?? 0;
}
const studentCount = () => countOf('directory', 'student');

async function createLeaver(overrides: Record<string, unknown>): Promise<string> {
  const created = await test.request<{ id: string }>('POST', `${base}/students`, { token: world.actors.municipalityAdmin.token, body: student({ status: 'leaver', leftAt: '2031-06-20', ...overrides }) });
  expect(created.status, created.text).toBe(201);
  return created.body.id;
}

/** A leaver stored before leftAt was required (written to the container directly). */
async function createLegacyLeaverWithoutDate(schoolId: string): Promise<string> {
  const id = await createLeaver({ schoolId });
  const stored = await test.app.services.students.get(world.home, id);
  const { leftAt: _dropped, ...legacy } = stored.value;
  await test.app.services.cosmos.containers.directory.items.upsert(legacy);
  return id;
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

describe('the requested school year must contain the leaving date (1 August - 31 July)', () => {
  let inYear: string;
  let lastYear: string;

  beforeAll(async () => {
    inYear = await createLeaver({ schoolId: world.schools.other, leftAt: '2031-06-20' });
    lastYear = await createLeaver({ schoolId: world.schools.other, leftAt: '2030-06-20' });
    await createLegacyLeaverWithoutDate(world.schools.other);
  });

  it('a named leaver who left in another year (the issue: 1999-2000 for a pupil who left in 2031) is a 400 for that student, and no run is stored', async () => {
    const runs = await countOf('reports', 'leaver-report-run');
    const refused = await test.request('POST', `${base}/leaver-reports`, {
      token: world.actors.municipalityAdmin.token,
      body: { schoolId: world.schools.other, schoolYear: '1999-2000', studentIds: [inYear] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ field: 'body/studentIds/0', message: 'did not leave in this school year' }]);
    const mixed = await test.request('POST', `${base}/leaver-reports`, {
      token: world.actors.municipalityAdmin.token,
      body: { schoolId: world.schools.other, schoolYear: '2030-2031', studentIds: [inYear, lastYear] },
    });
    expect(mixed.status).toBe(400);
    expect(mixed.body.errors).toEqual([{ field: 'body/studentIds/1', message: 'did not leave in this school year' }]);
    expect(await countOf('reports', 'leaver-report-run')).toBe(runs);
    expect(await countOf('reports', 'leaver-report')).toBe(0);
  });

  it('a named leaver stored without a leaving date is a 400 naming the missing date', async () => {
    const legacy = await createLegacyLeaverWithoutDate(world.schools.other);
    const refused = await test.request('POST', `${base}/leaver-reports`, {
      token: world.actors.municipalityAdmin.token,
      body: { schoolId: world.schools.other, schoolYear: '2030-2031', studentIds: [legacy] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ field: 'body/studentIds/0', message: 'has no leaving date (leftAt)' }]);
  });

  it("a run for every leaver of the school takes only those who left in the school year; a year nobody left in makes no report", async () => {
    const none = await generate(test, world.home, world.actors.otherSchoolAdmin.token, { schoolId: world.schools.other, schoolYear: '1999-2000' });
    expect(none).toMatchObject({ status: 'completed', requested: 0, generated: 0 });
    const run = await generate(test, world.home, world.actors.otherSchoolAdmin.token, { schoolId: world.schools.other, schoolYear: '2030-2031' });
    expect(run).toMatchObject({ status: 'completed', requested: 1, generated: 1, skipped: 0, failed: 0, warnings: [] });
    const list = await test.request('GET', `${base}/leaver-reports?runId=${run.id}`, { token: world.actors.otherSchoolAdmin.token });
    expect(list.body.items.map((report: { studentId: string }) => report.studentId)).toEqual([inYear]);
  });
});

describe('a leaver in a year level pupils do not leave from is a warning in the run, not an error', () => {
  it('year level 5 (not in the default 7, 10, 11-13): the report is made and the run completes with a warning naming the report', async () => {
    const early = await createLeaver({ yearLevel: 5, leftAt: '2027-06-18' });
    const usual = await createLeaver({ yearLevel: 10, leftAt: '2027-06-18' });
    const run = await generate(test, world.home, world.actors.schoolAdmin.token, { schoolId: world.schools.own, schoolYear: '2026-2027', studentIds: [early, usual] });
    expect(run).toMatchObject({ status: 'completed', requested: 2, generated: 2, failed: 0 });
    const list = await test.request('GET', `${base}/leaver-reports?runId=${run.id}`, { token: world.actors.schoolAdmin.token });
    const reportOf = (studentId: string) => list.body.items.find((report: { studentId: string }) => report.studentId === studentId)?.id as string;
    expect(run.warnings).toEqual([{ reportId: reportOf(early), code: 'unusual-year-level', yearLevel: 5, message: expect.stringContaining('year level 5') }]);
    // The run names reports, not students: it keeps no student id once it has finished.
    const stored = await test.app.services.cosmos.containers.reports.item(run.id, world.home).read();
    expect(JSON.stringify(stored.resource)).not.toContain(early);
  });

  it('the municipality sets its own leaving year levels; a bad list is a 400 and changes nothing', async () => {
    const settingsPath = `${base}/settings`;
    const token = world.actors.dataAdmin.token;
    const current = await test.request('GET', settingsPath, { token });
    expect(current.body.leaverYearLevels).toEqual([7, 10, 11, 12, 13]);
    const etag = current.headers.get('etag') as string;
    for (const leaverYearLevels of [[], [0], [14], [10, 10], ['10']]) {
      const refused = await test.request('PATCH', settingsPath, { token, body: { leaverYearLevels }, headers: { 'if-match': etag } });
      expect(refused.status, JSON.stringify(leaverYearLevels)).toBe(400);
    }
    expect((await test.request('GET', settingsPath, { token })).headers.get('etag')).toBe(etag);
    const changed = await test.request('PATCH', settingsPath, { token, body: { leaverYearLevels: [5, 10] }, headers: { 'if-match': etag } });
    expect(changed.status, changed.text).toBe(200);
    const fifth = await createLeaver({ yearLevel: 5, leftAt: '2028-06-20' });
    const run = await generate(test, world.home, world.actors.schoolAdmin.token, { schoolId: world.schools.own, schoolYear: '2027-2028', studentIds: [fifth] });
    expect(run).toMatchObject({ status: 'completed', generated: 1, warnings: [] });
  });
});
