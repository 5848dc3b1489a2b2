import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.js';
import { buildSchoolWorld, type SchoolWorld } from '../support/school-world.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let test: TestApp;
let world: SchoolWorld;
const logged: { level: string; line: string }[] = [];

beforeAll(async () => {
  test = await startTestApp({ composition: { logger: createLogger((level, line) => void logged.push({ level, line })) } });
  // Municipalities of their own: the emulators' blob container `exports` is shared by every test file.
  world = await buildSchoolWorld(test, '3905', '3906');
}, 120_000);
afterAll(() => test.close());

describe('an export whose file is missing (P14)', () => {
  it('answers a problem that says the file is missing (500, export-file-missing), not "expired", and logs an incident without personal data', async () => {
    const admin = world.actors.dataAdmin.token;
    const base = `/municipalities/${world.home}/exports`;
    const created = await test.request('POST', base, { token: admin, body: { subjectType: 'student', subjectId: world.students.inGroup, format: 'json', recipient: 'controller' } });
    expect(created.status, created.text).toBe(201);
    expect((await test.request('GET', `${base}/${created.body.id}/download`, { token: admin })).status).toBe(200);

    // Storage loses the file (as when an emulator forgot it), straight in Azurite.
    const blobs = test.app.services.blob.getContainerClient('exports');
    expect((await blobs.getBlockBlobClient(`${world.home}/${created.body.id}.json`).deleteIfExists()).succeeded).toBe(true);

    const missing = await test.request('GET', `${base}/${created.body.id}/download`, { token: admin });
    expect(missing.status).toBe(500);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(missing.body).toMatchObject({ type: 'urn:engage:problem:export-file-missing', title: 'Export file missing', status: 500 });
    expect(missing.body.detail).toMatch(/missing from storage/);
    expect(missing.body.detail).not.toMatch(/kept for|expired/i);

    const incident = logged.filter(({ line }) => line.includes('"event":"export-file-missing"'));
    expect(incident).toHaveLength(1);
    expect(incident[0]?.level).toBe('error');
    expect(JSON.parse(incident[0]?.line ?? '{}')).toMatchObject({ municipalityId: world.home, exportId: created.body.id, format: 'json' });
    expect(incident[0]?.line).not.toContain(world.students.inGroup);
    // Still listed as what it is: ready until it expires, not silently relabelled.
    expect((await test.request('GET', `${base}/${created.body.id}`, { token: admin })).body.status).toBe('ready');
  });
});
