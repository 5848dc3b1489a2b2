import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppProcess } from '../support/app-process.js';
import { cosmosOperations, createStaffUser, registerMunicipality, startTestApp, type SeededUser, type TestApp } from '../support/test-app.js';

/**
 * The audit entry of a read is written while the read runs and shared with concurrent
 * requests (group commit, lib/audit/audit-log.ts); the answer still waits until the entry is
 * stored. A process killed mid-write (on purpose, at its 3rd audit write) has answered no
 * read whose entry is missing.
 */
const MUNICIPALITY = '0301';
const STUDENTS = 48;
let test: TestApp;
let admin: SeededUser;
const studentIds: string[] = [];

beforeAll(async () => {
  test = await startTestApp();
  await registerMunicipality(test, MUNICIPALITY);
  admin = await createStaffUser(test, MUNICIPALITY, ['data-admin']);
  const { services } = test.app;
  const school = (await services.schools.create(MUNICIPALITY, { name: 'Revisjon skole' })).value;
  for (let i = 0; i < STUDENTS; i += 1) {
    studentIds.push((await services.students.create(MUNICIPALITY, { givenName: 'Elev', familyName: `Nr${i}`, birthDate: '2012-01-01', schoolId: school.id, yearLevel: 7, status: 'active' })).value.id);
  }
}, 60_000);
afterAll(() => test.close());

interface StoredEntry {
  action: string;
  resourceType: string;
  targetIds: string[];
}

async function auditedReads(): Promise<Map<string, number>> {
  const { resources } = await test.app.services.cosmos.containers.audit.items
    .query<StoredEntry>({ query: 'SELECT c.action, c.resourceType, c.targetIds FROM c WHERE c.municipalityId = @m', parameters: [{ name: '@m', value: MUNICIPALITY }] })
    .fetchAll();
  const reads = new Map<string, number>();
  for (const entry of resources) {
    if (entry.action !== 'read' || entry.resourceType !== 'student') continue;
    for (const id of entry.targetIds) reads.set(id, (reads.get(id) ?? 0) + 1);
  }
  return reads;
}

describe('audit group commit', () => {
  it('concurrent reads share audit writes, and each read has its own entry', async () => {
    const before = await auditedReads();
    const writesBefore = test.app.services.operations.snapshot().write;
    const responses = await Promise.all(studentIds.map((id) => test.request('GET', `/municipalities/${MUNICIPALITY}/students/${id}`, { token: admin.token })));
    const writes = test.app.services.operations.snapshot().write - writesBefore;
    expect(responses.map((response) => response.status)).toEqual(studentIds.map(() => 200));
    const after = await auditedReads();
    for (const id of studentIds) expect((after.get(id) ?? 0) - (before.get(id) ?? 0), id).toBe(1);
    // Each read counts the write its entry went in as its own round trip; the process made fewer.
    for (const response of responses) expect(cosmosOperations(response)).toMatchObject({ write: 1 });
    expect(writes).toBeLessThan(studentIds.length);
    expect(writes).toBeGreaterThan(0);
  });

  it('a read of a student that is not there is audited as an attempt, and still answers 404', async () => {
    const missing = randomUUID();
    const response = await test.request('GET', `/municipalities/${MUNICIPALITY}/students/${missing}`, { token: admin.token });
    expect(response.status).toBe(404);
    expect(cosmosOperations(response)).toMatchObject({ 'point-read': 1, write: 1 });
    expect((await auditedReads()).get(missing)).toBe(1);
  });

  it('killed as it writes audit entries (a real process, audit writes held 100 ms and the process killed on purpose at its 6th), it has answered no read without its entry', async () => {
    const child = await startAppProcess({ database: test.app.config.cosmos.database, keys: test.keys, kill: { at: 'audit-write', call: 6, delayMs: 100 } });
    const before = await auditedReads();
    const answered: string[] = [];
    let next = 0;
    const reader = async () => {
      for (;;) {
        const id = studentIds[next++ % studentIds.length] as string;
        try {
          const response = await child.request('GET', `/municipalities/${MUNICIPALITY}/students/${id}`, { token: admin.token });
          if (response.status === 200) answered.push(id);
        } catch {
          return; // the process is gone
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, reader));
    expect(await child.died).toBe('audit-write #6');
    expect(answered.length).toBeGreaterThan(1);
    const after = await auditedReads();
    const answers = new Map<string, number>();
    for (const id of answered) answers.set(id, (answers.get(id) ?? 0) + 1);
    for (const [id, count] of answers) expect((after.get(id) ?? 0) - (before.get(id) ?? 0), `answered reads of ${id}`).toBeGreaterThanOrEqual(count);
  }, 60_000);
});
