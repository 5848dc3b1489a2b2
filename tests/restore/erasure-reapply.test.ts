import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredErasure } from '../../lib/erasure/erasure-model.js';
import { copyErasureRecords } from '../../lib/erasure/erasure-reapply-copy.js';
import { buildSchoolWorld, RECORD_BODIES, type SchoolWorld } from '../support/school-world.js';
import { findAnywhere } from '../support/data-scan.js';
import { erasuresSettled } from '../support/erasures.js';
import { createStaffUser, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * A point-in-time restore, done locally: every document is copied out of the emulator (the
 * backup as of the restore point), a student is erased, the older documents are put back
 * (the restore), the erasure records accepted after the restore point are copied in (the
 * runbook's step: they name nobody), and the re-apply job runs. Then a scan of every
 * container and blob finds nothing of the student (docs/operations.md, "Restore from a backup").
 */
let test: TestApp;
let world: SchoolWorld;
let base: string;

type Snapshot = Map<string, Record<string, unknown>[]>;

/**
 * Everything stored that mentions one of the needles, except what P10 keeps on purpose: an
 * erased staff user's usage stays until the anonymisation job, and the ledger entry that
 * starts its clock names the user (tests/privacy/erasure.test.ts, the same exception).
 */
async function leftovers(needles: string[]): Promise<string[]> {
  return (await findAnywhere(test.app.services, needles)).filter((where) => !/ in (ledger|usage)\//.test(where));
}

beforeAll(async () => {
  test = await startTestApp();
  world = await buildSchoolWorld(test);
  base = `/municipalities/${world.home}`;
}, 120_000);
afterAll(() => test.close());

/** Every document of every container, without the server's own fields. */
async function backup(): Promise<Snapshot> {
  const { database } = test.app.services.cosmos;
  const { resources: containers } = await database.containers.readAll().fetchAll();
  const snapshot: Snapshot = new Map();
  for (const { id } of containers) {
    const { resources } = await database.container(id).items.query<Record<string, unknown>>('SELECT * FROM c').fetchAll();
    snapshot.set(id, resources.map(({ _rid, _self, _etag, _attachments, _ts, ...document }) => document));
  }
  return snapshot;
}

/** Each container holds exactly what the snapshot held: dropped and created again with the same definition, then refilled. */
async function restore(snapshot: Snapshot): Promise<void> {
  const { database } = test.app.services.cosmos;
  for (const [id, documents] of snapshot) {
    const { resource: definition } = await database.container(id).read();
    await database.container(id).delete();
    const { container } = await database.containers.create({
      id,
      partitionKey: definition?.partitionKey,
      indexingPolicy: definition?.indexingPolicy,
      ...(definition?.defaultTtl === undefined ? {} : { defaultTtl: definition.defaultTtl }),
    });
    for (const document of documents) await container.items.create(document);
  }
}

async function createStudentWithRecords(givenName: string, familyName: string): Promise<string> {
  const created = await test.request('POST', `${base}/students`, {
    token: world.actors.municipalityAdmin.token,
    body: { givenName, familyName, birthDate: '2011-05-05', schoolId: world.schools.own, yearLevel: 10 },
  });
  expect(created.status).toBe(201);
  const studentId = created.body.id as string;
  const group = await test.request('GET', `${base}/groups/${world.group}`, { token: world.actors.municipalityAdmin.token });
  const joined = await test.request('PATCH', `${base}/groups/${world.group}`, {
    token: world.actors.municipalityAdmin.token,
    body: { studentIds: [...group.body.studentIds, studentId] },
    headers: { 'if-match': group.headers.get('etag') as string },
  });
  expect(joined.status).toBe(200);
  for (const [path, body] of [['assessments', RECORD_BODIES.assessment], ['evaluations', { ...RECORD_BODIES.evaluation, text: `${givenName} ${familyName} leste høyt.` }], ['grades', RECORD_BODIES.grade]] as const) {
    const record = await test.request('POST', `${base}/students/${studentId}/${path}`, { token: world.actors.groupTeacher.token, body });
    expect(record.status).toBe(201);
  }
  return studentId;
}

async function erasureRecordsSince(moment: string): Promise<StoredErasure[]> {
  const { resources } = await test.app.services.cosmos.containers.directory.items
    .query<StoredErasure>({ query: "SELECT * FROM c WHERE c.type = 'erasure' AND c.createdAt >= @moment", parameters: [{ name: '@moment', value: moment }] })
    .fetchAll();
  return resources.map((record) => {
    const { _rid, _self, _etag, _attachments, _ts, ...stored } = record as StoredErasure & Record<string, unknown>;
    return stored as StoredErasure;
  });
}

async function reapply(restoredTo: string): Promise<void> {
  const operator = await test.operatorToken();
  const started = await test.request('POST', '/operations/erasure-reapply', { token: operator, body: { restoredTo } });
  expect(started.status).toBe(202);
  // The status route reads re-apply runs only, not other orchestrations (an erasure's instance id).
  expect((await test.request('GET', `/operations/erasure-reapply/erasure-${randomUUID()}`, { token: operator })).status).toBe(400);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const run = await test.request('GET', `/operations/erasure-reapply/${started.body.id}`, { token: operator });
    if (run.body.state === 'completed') break;
    expect(run.body.state).not.toBe('failed');
    if (Date.now() > deadline) throw new Error('re-apply run still going');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The accepted erasures are in the outbox; the resume timer (every 5 minutes) starts them.
  const resume = await fetch(`${new URL(test.url).origin}/admin/functions/erasure-resume`, { method: 'POST', body: '{}' });
  expect(resume.status).toBe(202);
  await erasuresSettled(test);
}

describe('restore from a backup, then re-apply the erasures accepted after the restore point', () => {
  it('a student and a teacher erased after the restore point are back after the restore, and gone again after the re-apply job', async () => {
    const studentId = await createStudentWithRecords('Gjenoppstått', 'Tilbakesen');
    const survivor = await createStudentWithRecords('Blivende', 'Værendesen');
    const teacher = await createStaffUser(test, world.home, ['teacher'], { name: 'Returnert Lærersen', email: 'returnert.laerersen@example.test' });
    const snapshot = await backup();
    const restorePoint = new Date().toISOString();

    const erased = await test.request('DELETE', `${base}/students/${studentId}?instructionReference=SAK-2026/77`, { token: world.actors.dataAdmin.token });
    expect(erased.status).toBe(202);
    const erasedUser = await test.request('DELETE', `${base}/users/${teacher.id}?instructionReference=SAK-2026/78`, { token: world.actors.dataAdmin.token });
    expect(erasedUser.status).toBe(202);
    await erasuresSettled(test);
    expect(await leftovers([studentId, teacher.id, 'Lærersen'])).toEqual([]);
    const acceptedAfter = await erasureRecordsSince(restorePoint);
    expect(acceptedAfter).toHaveLength(2);
    expect(JSON.stringify(acceptedAfter), 'the records name nobody').not.toMatch(new RegExp(`${studentId}|${teacher.id}`));

    // The account restored from keeps running beside the restored one: here, a database of its own.
    const { database } = test.app.services.cosmos;
    const { database: previous } = await database.client.databases.createIfNotExists({ id: `${database.id}-previous` });
    const { container: previousDirectory } = await previous.containers.createIfNotExists({ id: 'directory', partitionKey: { paths: ['/municipalityId'] } });
    for (const record of acceptedAfter) await previousDirectory.items.create(record);
    // One that was still running when the account was left: its working state names a person.
    const unfinished = { ...acceptedAfter[0], id: randomUUID(), status: 'running', nameSweep: { subjects: [['Halvveis Navnesen']] }, tombstonesPending: ['00000000-0000-4000-8000-000000000077'] };
    await previousDirectory.items.create(unfinished);

    await restore(snapshot);
    expect((await findAnywhere(test.app.services, [studentId])).length, 'the restore brought the student back').toBeGreaterThan(0);
    expect((await findAnywhere(test.app.services, ['Lærersen'])).length, 'and the teacher').toBeGreaterThan(0);
    expect(await copyErasureRecords(previousDirectory, test.app.services.cosmos.containers.directory, restorePoint)).toBe(3);
    const copied = await test.app.services.cosmos.containers.directory.item(unfinished.id, unfinished.municipalityId).read();
    expect(copied.resource, 'an unfinished record is copied as a failed instruction without its working state').toMatchObject({ status: 'failed' });
    expect(JSON.stringify(copied.resource)).not.toMatch(/Halvveis|00000000-0000-4000-8000-000000000077/);
    await previous.delete();

    await reapply(restorePoint);
    expect(await leftovers([studentId, 'Tilbakesen', 'Gjenoppstått', teacher.id, 'Lærersen', 'returnert.laerersen'])).toEqual([]);
    // Only the erased student went: the other one, and their records, are still there.
    expect((await test.request('GET', `${base}/students/${survivor}`, { token: world.actors.dataAdmin.token })).status).toBe(200);
    expect((await findAnywhere(test.app.services, ['Værendesen'])).length).toBeGreaterThan(0);
    // The re-applied erasure is on the register under the instruction's own reference.
    const list = await test.request('GET', `${base}/erasures?limit=10`, { token: world.actors.dataAdmin.token });
    const references = (list.body.items as { instructionReference: string; status: string }[]).filter((item) => item.instructionReference === 'SAK-2026/77');
    // Beside them, the copy of the one left unfinished in the old account, as a failed instruction.
    expect(references.map((item) => item.status).sort()).toEqual(['completed', 'completed', 'failed']);

    // Idempotent: a second run finds nothing left to erase and accepts nothing.
    await reapply(new Date(Date.parse(restorePoint) - 1).toISOString());
    const again = await test.request('GET', `${base}/erasures?limit=10`, { token: world.actors.dataAdmin.token });
    expect((again.body.items as { instructionReference: string }[]).filter((item) => item.instructionReference === 'SAK-2026/77')).toHaveLength(3);
  }, 120_000);
});
