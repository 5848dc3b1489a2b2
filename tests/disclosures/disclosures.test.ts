import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erasuresSettled } from '../support/erasures.js';
import { buildSchoolWorld, type SchoolWorld } from '../support/school-world.js';
import { cosmosOperations, startTestApp, type TestApp } from '../support/test-app.js';

let test: TestApp;
let world: SchoolWorld;
let admin: string;

const path = () => `/municipalities/${world.home}/disclosures`;
const valid = () => ({
  recipient: 'Statsforvalteren i Oslo og Viken',
  basis: 'legal-obligation',
  reference: 'SF-2026/4411',
  dataCategories: ['identity', 'grades'],
  subjectIds: [world.students.inGroup],
});

async function storedDocuments(): Promise<number> {
  const { resources } = await test.app.services.cosmos.containers.exports.items.readAll().fetchAll();
  return resources.length;
}

beforeAll(async () => {
  test = await startTestApp();
  world = await buildSchoolWorld(test);
  admin = world.actors.dataAdmin.token;
}, 120_000);
afterAll(() => test.close());

describe('the disclosure register (P13)', () => {
  it('registers a disclosure with its basis, reference, categories and subjects, and audits it', async () => {
    const created = await test.request('POST', path(), { token: admin, body: { ...valid(), disclosedAt: '2026-10-01' } });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      recipient: 'Statsforvalteren i Oslo og Viken',
      basis: 'legal-obligation',
      reference: 'SF-2026/4411',
      dataCategories: ['identity', 'grades'],
      subjectIds: [world.students.inGroup],
      disclosedAt: '2026-10-01T00:00:00.000Z',
      registeredBy: world.actors.dataAdmin.id,
      createdAt: expect.any(String),
    });
    expect(created.headers.get('location')).toBe(`/api${path()}/${created.body.id}`);
    const read = await test.request('GET', `${path()}/${created.body.id}`, { token: admin });
    expect(read.body).toEqual(created.body);
    expect(cosmosOperations(read)['point-read']).toBeGreaterThanOrEqual(1);
    expect(cosmosOperations(read)['cross-partition-query']).toBe(0);
    const audit = await test.request('GET', `/municipalities/${world.home}/audit?targetId=${world.students.inGroup}`, { token: admin });
    expect(audit.body.items.some((entry: { resourceType: string; action: string }) => entry.resourceType === 'disclosure' && entry.action === 'create')).toBe(true);
  });

  it('lists newest first with one single-partition query, and filters by subject', async () => {
    const second = await test.request('POST', path(), {
      token: admin,
      body: { ...valid(), recipient: 'Oslo tingrett', basis: 'court-order', reference: 'TOSLO-2026/9', subjectIds: [world.students.otherSchool, world.actors.groupTeacher.id] },
    });
    expect(second.status).toBe(201);
    const list = await test.request('GET', `${path()}?limit=100`, { token: admin });
    expect(list.status).toBe(200);
    expect(list.body.items[0].id).toBe(second.body.id);
    expect(cosmosOperations(list)).toMatchObject({ 'partition-query': 1, 'cross-partition-query': 0 });
    const forTeacher = await test.request('GET', `${path()}?subjectId=${world.actors.groupTeacher.id}`, { token: admin });
    expect(forTeacher.body.items.map((item: { id: string }) => item.id)).toEqual([second.body.id]);
    const paged = await test.request('GET', `${path()}?limit=1`, { token: admin });
    expect(paged.body.items).toHaveLength(1);
    expect(paged.body.continuationToken).toEqual(expect.any(String));
  });

  it('refuses bad input with a problem and writes nothing', async () => {
    const cases: Record<string, unknown>[] = [
      { ...valid(), basis: 'curiosity' },
      { ...valid(), dataCategories: ['health'] },
      { ...valid(), dataCategories: [] },
      { ...valid(), subjectIds: [world.students.inGroup, world.students.inGroup] },
      { ...valid(), subjectIds: [randomUUID()] },
      { ...valid(), subjectIds: [world.students.foreign] },
      { ...valid(), recipient: 'ola.nordmann@example.test' },
      { ...valid(), reference: 'Ola Nordmann' },
      { ...valid(), disclosedAt: '2999-01-01' },
      { ...valid(), healthNotes: 'x' },
    ];
    const documents = await storedDocuments();
    for (const body of cases) {
      const response = await test.request('POST', path(), { token: admin, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.text).not.toContain('ola.nordmann');
    }
    expect(await storedDocuments()).toBe(documents);
  });

  it('names the subject that is not in the municipality, without saying whether it exists elsewhere', async () => {
    const foreign = await test.request('POST', path(), { token: admin, body: { ...valid(), subjectIds: [world.students.inGroup, world.students.foreign] } });
    const unknown = await test.request('POST', path(), { token: admin, body: { ...valid(), subjectIds: [world.students.inGroup, randomUUID()] } });
    expect(foreign.body.errors).toEqual([{ field: 'body/subjectIds/1', message: 'is no student or staff user of this municipality' }]);
    expect(unknown.body.errors).toEqual(foreign.body.errors);
  });

  it('only the data admin of the municipality reaches the register', async () => {
    for (const [token, status] of [
      [world.actors.municipalityAdmin.token, 403],
      [world.actors.groupTeacher.token, 403],
      [world.actors.foreignAdmin.token, 404],
      [await test.operatorToken(), 404],
      [undefined, 401],
    ] as const) {
      expect((await test.request('GET', path(), { token })).status).toBe(status);
      expect((await test.request('POST', path(), { token, body: valid() })).status).toBe(status);
    }
    const own = await test.request('POST', path(), { token: admin, body: valid() });
    const foreign = await test.request('GET', `/municipalities/${world.foreign}/disclosures/${own.body.id}`, { token: world.actors.foreignAdmin.token });
    expect(foreign.status).toBe(404);
    const crossed = await test.request('GET', `/municipalities/${world.home}/disclosures/${randomUUID()}`, { token: admin });
    expect(crossed.status).toBe(404);
  });

  it('keeps the entry when a subject is erased, but no longer names them', async () => {
    const created = await test.request('POST', path(), { token: admin, body: { ...valid(), subjectIds: [world.students.sameSchool, world.students.otherSchool] } });
    const erasure = await test.request('DELETE', `/municipalities/${world.home}/students/${world.students.sameSchool}?instructionReference=SAK-2026/5`, { token: admin });
    expect(erasure.status).toBe(202);
    await erasuresSettled(test);
    const after = await test.request('GET', `${path()}/${created.body.id}`, { token: admin });
    expect(after.body.subjectIds).toEqual(['erased', world.students.otherSchool]);
    expect(after.body.recipient).toBe(created.body.recipient);
    const bySubject = await test.request('GET', `${path()}?subjectId=${world.students.sameSchool}`, { token: admin });
    expect(bySubject.body.items).toEqual([]);
  });
});
