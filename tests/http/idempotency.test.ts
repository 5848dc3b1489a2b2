import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAnywhere } from '../support/data-scan.js';
import { erasuresSettled } from '../support/erasures.js';
import { ManualClock } from '../support/manual-clock.js';
import { buildSchoolWorld, type SchoolWorld } from '../support/school-world.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Idempotency-Key on POST: a repeat with the same key and body gets the first response and
 * writes nothing; the same key with another body is 422; keys belong to their caller and
 * expire after 24 hours; a refused request leaves the key free. (The database-stall case is
 * in tests/http/database-stall.test.ts.)
 */
const clock = new ManualClock('2026-11-02T08:00:00.000Z');
let test: TestApp;
let world: SchoolWorld;
let students: string;

beforeAll(async () => {
  test = await startTestApp({ clock });
  world = await buildSchoolWorld(test);
  students = `/municipalities/${world.home}/students`;
}, 120_000);
afterAll(() => test.close());

const student = (givenName: string) => ({ givenName, familyName: 'Gjentaksen', birthDate: '2012-05-06', schoolId: world.schools.own, yearLevel: 8 });

async function countStudents(givenName: string): Promise<number> {
  const { resources } = await test.app.services.cosmos.containers.directory.items
    .query<number>({ query: "SELECT VALUE COUNT(1) FROM c WHERE c.type = 'student' AND c.givenName = @name", parameters: [{ name: '@name', value: givenName }] })
    .fetchAll();
  return resources[0] ?? 0;
}

async function auditEntries(): Promise<number> {
  const { resources } = await test.app.services.cosmos.containers.audit.items.query<number>('SELECT VALUE COUNT(1) FROM c').fetchAll();
  return resources[0] ?? 0;
}

describe('a POST repeated with its Idempotency-Key', () => {
  it('gets the first response (status, body, Location) and writes nothing: no second student, no second audit entry', async () => {
    const headers = { 'idempotency-key': randomUUID() };
    const token = world.actors.municipalityAdmin.token;
    const first = await test.request('POST', students, { token, headers, body: student('Ingrid') });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const audited = await auditEntries();
    const repeat = await test.request('POST', students, { token, headers, body: student('Ingrid') });
    expect(repeat.status).toBe(201);
    expect(repeat.body).toEqual(first.body);
    expect(repeat.headers.get('location')).toBe(first.headers.get('location'));
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    expect(repeat.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    expect(await countStudents('Ingrid')).toBe(1);
    expect(await auditEntries()).toBe(audited);
  });

  it('with another body is 422 and writes nothing', async () => {
    const headers = { 'idempotency-key': randomUUID() };
    const token = world.actors.municipalityAdmin.token;
    expect((await test.request('POST', students, { token, headers, body: student('Sigrid') })).status).toBe(201);
    const other = await test.request('POST', students, { token, headers, body: student('Solveig') });
    expect(other.status).toBe(422);
    expect(other.body.type).toBe('urn:engage:problem:idempotency-key-reused');
    expect(other.text).not.toMatch(/Sigrid|Solveig/);
    expect(await countStudents('Solveig')).toBe(0);
  });

  it('from another caller is another request: keys belong to whoever sent them', async () => {
    const headers = { 'idempotency-key': `shared-${randomUUID()}` };
    const first = await test.request('POST', students, { token: world.actors.municipalityAdmin.token, headers, body: student('Tuva') });
    const second = await test.request('POST', students, { token: world.actors.schoolAdmin.token, headers, body: student('Tuva') });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.id).not.toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
  });

  it('sent twice at once runs once: the other is told the request is in progress, or gets its response', async () => {
    const headers = { 'idempotency-key': randomUUID() };
    const token = world.actors.municipalityAdmin.token;
    const both = await Promise.all([0, 1].map(() => test.request('POST', students, { token, headers, body: student('Vilde') })));
    expect(both.map((response) => response.status).sort()).toSatisfy((statuses: number[]) => statuses.join() === '201,201' || statuses.join() === '201,409');
    expect(await countStudents('Vilde')).toBe(1);
  });

  it('after a refusal (400, 403) the key is free for the corrected request', async () => {
    const headers = { 'idempotency-key': randomUUID() };
    const bad = await test.request('POST', students, { token: world.actors.municipalityAdmin.token, headers, body: { ...student('Embla'), yearLevel: 99 } });
    expect(bad.status).toBe(400);
    const refused = await test.request('POST', students, { token: world.actors.groupTeacher.token, headers, body: student('Embla') });
    expect(refused.status).toBe(403);
    const good = await test.request('POST', students, { token: world.actors.municipalityAdmin.token, headers, body: student('Embla') });
    expect(good.status).toBe(201);
    expect(await countStudents('Embla')).toBe(1);
  });

  it('expires after 24 hours: the same key then runs the request again', async () => {
    const headers = { 'idempotency-key': randomUUID() };
    const token = world.actors.municipalityAdmin.token;
    const first = await test.request('POST', students, { token, headers, body: student('Hedda') });
    clock.advance(24 * 3600 * 1000 - 1000);
    expect((await test.request('POST', students, { token, headers, body: student('Hedda') })).body.id).toBe(first.body.id);
    clock.advance(2000);
    const later = await test.request('POST', students, { token, headers, body: student('Hedda') });
    expect(later.status).toBe(201);
    expect(later.body.id).not.toBe(first.body.id);
    expect(later.headers.get('idempotent-replayed')).toBeNull();
  });

  it('a key that is not 1-255 printable ASCII characters is a 400 naming the header', async () => {
    for (const key of ['', 'x'.repeat(256), 'nøkkel', 'a b']) {
      const response = await test.request('POST', students, { token: world.actors.municipalityAdmin.token, headers: { 'idempotency-key': key }, body: student('Ugyldig') });
      expect(response.status, JSON.stringify(key)).toBe(400);
      expect(response.body.errors).toEqual([expect.objectContaining({ field: 'headers/idempotency-key' })]);
    }
    expect(await countStudents('Ugyldig')).toBe(0);
  });

  it('session start runs again: its answer carries a fresh credential, which is never stored', async () => {
    const headers = { 'idempotency-key': randomUUID() };
    const token = world.actors.groupTeacher.token;
    const first = await test.request('POST', '/session', { token, headers, body: { language: 'nb' } });
    const second = await test.request('POST', '/session', { token, headers, body: { language: 'nb' } });
    expect([first.status, second.status]).toEqual([201, 201]);
    const cookieOf = (setCookie: string | null) => /__Host-engage-session=([^;]+)/.exec(setCookie ?? '')?.[1];
    expect(cookieOf(second.headers.get('set-cookie'))).not.toBe(cookieOf(first.headers.get('set-cookie')));
    const stored = await findAnywhere(test.app.services, [cookieOf(first.headers.get('set-cookie')) as string]);
    expect(stored).toEqual([]);
  });

  it("erasure removes the stored responses that name the person", async () => {
    const headers = { 'idempotency-key': randomUUID() };
    const created = await test.request('POST', students, { token: world.actors.municipalityAdmin.token, headers, body: student('Kanarifugl') });
    expect(await findAnywhere(test.app.services, ['Kanarifugl'])).toContainEqual(expect.stringContaining(' in idempotency/'));
    const erased = await test.request('DELETE', `${students}/${created.body.id}?instructionReference=SAK-IDEM`, { token: world.actors.dataAdmin.token });
    expect(erased.status).toBe(202);
    await erasuresSettled(test);
    expect(await findAnywhere(test.app.services, ['Kanarifugl', created.body.id])).toEqual([]);
    // The key now answers nothing stale: it runs again.
    const again = await test.request('POST', students, { token: world.actors.municipalityAdmin.token, headers, body: student('Kanarifugl') });
    expect(again.headers.get('idempotent-replayed')).toBeNull();
  });
});
