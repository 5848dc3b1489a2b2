import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivacyProvider, PrivacySubject } from '../../lib/privacy/privacy-provider.js';
import { buildSchoolWorld, RECORD_BODIES, type SchoolWorld } from '../support/school-world.js';
import { erasuresSettled } from '../support/erasures.js';
import { createStaffUser, startTestApp, type TestApp } from '../support/test-app.js';
import { backgroundSettled } from '../governance/helpers.js';

/**
 * Verification that can fail (P3): for every privacy provider and every kind of subject it
 * holds, a leftover is planted right after its `erase` ran, and the erasure must not
 * complete, that provider's `verify` must name the leftover, and a repeated instruction
 * must clean it up and complete. The cases are generated from the registered providers: a
 * provider added without a way to plant its leftover here fails the first test.
 */

let test: TestApp;
let world: SchoolWorld;
let base: string;

type SubjectType = PrivacySubject['type'];
type Document = Record<string, unknown> & { id: string };

interface Planting {
  subject: PrivacySubject;
  provider: PrivacyProvider;
  /** Every document of the provider's containers as they were just before its `erase`. */
  before: Map<string, Map<string, Document>>;
}

/** What a leftover is for one provider: put back what its erase removed, or plant one by hand. */
type Planter = 'restore' | ((planting: Planting) => Promise<void>);

const container = (name: string) => test.app.services.cosmos.database.container(name);

async function allDocuments(name: string): Promise<Map<string, Document>> {
  const { resources } = await container(name).items.query<Document>('SELECT * FROM c').fetchAll();
  const clean = (document: Document) => Object.fromEntries(Object.entries(document).filter(([key]) => !key.startsWith('_'))) as Document;
  // `_rid` names one document of the container whatever its partition key; a replace keeps it.
  return new Map(resources.map((document) => [String(document._rid), clean(document)]));
}

function cosmosContainersOf(provider: PrivacyProvider): string[] {
  return [...new Set(provider.locations.flatMap((location) => (location.kind === 'cosmos' ? [location.container] : [])))];
}

/** The generic leftover: every document the erase removed or changed, as it was before. */
async function restoreWhatEraseRemoved({ provider, before }: Planting): Promise<void> {
  for (const name of cosmosContainersOf(provider)) {
    const after = await allDocuments(name);
    for (const [key, document] of before.get(name) ?? []) {
      if (JSON.stringify(after.get(key)) !== JSON.stringify(document)) await container(name).items.upsert(document);
    }
  }
}

async function erasureIdOf(subject: PrivacySubject): Promise<string> {
  const { resource } = await container('directory').item(subject.id, subject.municipalityId).read<{ erasureId: string }>();
  if (!resource) throw new Error('the subject document is gone');
  return resource.erasureId;
}

const PLANTERS: Record<string, Partial<Record<SubjectType, Planter>>> = {
  'directory.students': { student: 'restore' },
  'directory.users': { user: 'restore' },
  'directory.groups': { student: 'restore', user: 'restore' },
  records: { student: 'restore', user: 'restore' },
  audit: { student: 'restore', user: 'restore' },
  exports: { student: 'restore', user: 'restore' },
  disclosures: { student: 'restore', user: 'restore' },
  idempotency: { student: 'restore', user: 'restore' },
  sessions: { user: 'restore' },
  'rate-limits': { user: 'restore' },
  'governance.consents': { user: 'restore' },
  'governance.support': { user: 'restore' },
  'governance.outbox': { user: 'restore' },
  'erasure-instructions': {
    user: 'restore',
    // The acceptance's list of ids still to tombstone, as if it had never been cleared.
    student: async ({ subject }) => {
      const id = await erasureIdOf(subject);
      await container('directory').item(id, subject.municipalityId).patch([{ op: 'set', path: '/tombstonesPending', value: [subject.id] }]);
    },
  },
  // The P10 clock: usage records of the account with no anonymisation scheduled.
  usage: {
    user: async ({ subject }) => {
      const { resources } = await container('ledger')
        .items.query<Document & { pk: string }>({ query: "SELECT * FROM c WHERE c.type = 'usage-due' AND c.accountId = @id", parameters: [{ name: '@id', value: subject.id }] })
        .fetchAll();
      expect(resources.length).toBeGreaterThan(0);
      for (const entry of resources) await container('ledger').item(entry.id, entry.pk).delete();
    },
  },
  // A roster file left in storage after the erase looked, and an import run naming the admin who started it.
  'roster-import': {
    student: async ({ subject }) => {
      const name = `${subject.municipalityId}/uploads/${randomUUID()}.zip`;
      await test.app.services.blob.getContainerClient('roster-uploads').getBlockBlobClient(name).upload('roster', 6);
    },
    user: async ({ subject }) => {
      await container('directory').items.create({
        id: randomUUID(), type: 'roster-import', municipalityId: subject.municipalityId, requestedBy: subject.id, status: 'completed', createdAt: new Date().toISOString(),
      });
    },
  },
  // A report or a run written after the erase looked (the report pipeline is another module's test subject).
  'leaver-reports': {
    student: async ({ subject }) => {
      const now = new Date().toISOString();
      await container('reports').items.create({
        id: randomUUID(), type: 'leaver-report', municipalityId: subject.municipalityId, studentId: subject.id, schoolId: world.schools.own,
        schoolYear: '2026-2027', runId: randomUUID(), state: 'ready', createdAt: now, expiresAt: now, bytes: null,
      });
    },
    user: async ({ subject }) => {
      await container('reports').items.create({
        id: randomUUID(), type: 'leaver-report-run', municipalityId: subject.municipalityId, schoolId: world.schools.own, schoolYear: '2026-2027',
        studentIds: [], requestedBy: subject.id, status: 'completed', createdAt: new Date().toISOString(),
      });
    },
  },
};

async function addToGroup(field: 'studentIds' | 'teacherIds', id: string): Promise<void> {
  const admin = world.actors.municipalityAdmin.token;
  const group = await test.request('GET', `${base}/groups/${world.group}`, { token: admin });
  const response = await test.request('PATCH', `${base}/groups/${world.group}`, {
    token: admin,
    body: { [field]: [...group.body[field], id] },
    headers: { 'if-match': group.headers.get('etag') as string },
  });
  expect(response.status).toBe(200);
}

async function expectStatus(status: number, response: Promise<{ status: number; text: string }>): Promise<void> {
  const settled = await response;
  expect(settled.status, settled.text).toBe(status);
}

/** A student with data in every provider that holds students' data. */
async function richStudent(): Promise<PrivacySubject> {
  const dataAdmin = world.actors.dataAdmin.token;
  const created = await test.request('POST', `${base}/students`, {
    token: world.actors.municipalityAdmin.token,
    body: { givenName: 'Plantet', familyName: `Rest-${randomUUID().slice(0, 6)}`, birthDate: '2012-02-02', schoolId: world.schools.own, yearLevel: 8 },
  });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  await addToGroup('studentIds', id);
  await expectStatus(201, test.request('POST', `${base}/students/${id}/evaluations`, { token: world.actors.groupTeacher.token, body: RECORD_BODIES.evaluation, headers: { 'idempotency-key': randomUUID() } }));
  await expectStatus(200, test.request('GET', `${base}/students/${id}`, { token: dataAdmin }));
  await expectStatus(201, test.request('POST', `${base}/exports`, { token: dataAdmin, body: { subjectType: 'student', subjectId: id, format: 'json', recipient: 'controller' } }));
  await expectStatus(201, test.request('POST', `${base}/disclosures`, {
    token: dataAdmin,
    body: { recipient: 'Oslo tingrett', basis: 'court-order', reference: `TOSLO-${randomUUID().slice(0, 8)}`, dataCategories: ['grades'], subjectIds: [id] },
  }));
  return { municipalityId: world.home, type: 'student', id, since: created.body.createdAt };
}

/** A teacher who is also a data admin, with data in every provider that holds staff data. */
async function richUser(providerName: string): Promise<PrivacySubject> {
  const user = await createStaffUser(test, world.home, ['teacher', 'data-admin'], { schoolIds: [world.schools.own], name: 'Plantet Lærer' });
  await addToGroup('teacherIds', user.id);
  const as = { token: user.token };
  await expectStatus(201, test.request('POST', `${base}/students/${world.students.inGroup}/grades`, { ...as, body: RECORD_BODIES.grade, headers: { 'idempotency-key': randomUUID() } }));
  await expectStatus(201, test.request('POST', '/session', { ...as, body: { language: 'nb' } }));
  await expectStatus(200, test.request('PUT', '/me/consents/newsletter', { ...as, body: { granted: true } }));
  await expectStatus(201, test.request('POST', '/support-requests', { ...as, body: { subject: 'Innlogging', message: 'Kommer ikke inn.' } }));
  await expectStatus(202, test.request('POST', '/usage/events', { ...as, body: { events: [{ type: 'feature-use', feature: 'grades/list', at: new Date().toISOString() }] } }));
  await expectStatus(201, test.request('POST', `${base}/exports`, { ...as, body: { subjectType: 'student', subjectId: world.students.sameSchool, format: 'json', recipient: 'controller' } }));
  await expectStatus(201, test.request('POST', `${base}/disclosures`, {
    ...as,
    body: { recipient: 'Oslo tingrett', basis: 'court-order', reference: `TOSLO-${randomUUID().slice(0, 8)}`, dataCategories: ['grades'], subjectIds: [world.students.sameSchool] },
  }));
  const throwaway = await test.request('POST', `${base}/students`, {
    token: world.actors.municipalityAdmin.token,
    body: { givenName: 'Engangs', familyName: 'Elev', birthDate: '2012-02-02', schoolId: world.schools.own, yearLevel: 8 },
  });
  await expectStatus(202, test.request('DELETE', `${base}/students/${throwaway.body.id}?instructionReference=SAK-PLANT/1`, as));
  if (providerName === 'governance.outbox') {
    await expectStatus(202, test.request('POST', '/newsletters', { token: await test.operatorToken(), body: { subject: 'Nytt', text: 'Tekst' } }));
    await backgroundSettled(test);
  }
  await test.app.services.requestLog.flush();
  await erasuresSettled(test);
  const { resource } = await container('directory').item(user.id, world.home).read<{ identity: PrivacySubject['identity']; createdAt: string }>();
  return { municipalityId: world.home, type: 'user', id: user.id, identity: resource?.identity, since: resource?.createdAt } as PrivacySubject;
}

function erase(subject: PrivacySubject, reference: string) {
  const path = subject.type === 'student' ? 'students' : 'users';
  return test.request('DELETE', `${base}/${path}/${subject.id}?instructionReference=${reference}`, { token: world.actors.dataAdmin.token });
}

async function settledErasure(id: string) {
  await erasuresSettled(test);
  return (await test.request('GET', `${base}/erasures/${id}`, { token: world.actors.dataAdmin.token })).body;
}

beforeAll(async () => {
  test = await startTestApp();
  world = await buildSchoolWorld(test, '5501', '5502');
  base = `/municipalities/${world.home}`;
}, 120_000);
afterAll(() => test.close());

const cases = () => test.app.services.privacy.all().flatMap((provider) => provider.subjects.map((type) => ({ provider, type })));

describe('verification that can fail, for every privacy provider', () => {
  it('every provider that holds a subject has a leftover planter here, and no planter names a provider that does not', () => {
    const expected = cases().map(({ provider, type }) => `${provider.name}/${type}`).sort();
    const planted = Object.entries(PLANTERS).flatMap(([name, byType]) => Object.keys(byType).map((type) => `${name}/${type}`)).sort();
    expect(planted).toEqual(expected);
  });

  const names = Object.entries(PLANTERS).flatMap(([name, byType]) => Object.keys(byType).map((type) => [name, type as SubjectType] as const));
  it.each(names)('%s (%s): a leftover planted after erase is reported by verify, the erasure fails, and a repeat cleans it up', async (name, type) => {
    const provider = test.app.services.privacy.all().find((candidate) => candidate.name === name);
    if (!provider) throw new Error(`no provider ${name}`);
    const planter = PLANTERS[name]?.[type];
    if (!planter) throw new Error(`no planter for ${name}/${type}`);
    const subject = type === 'student' ? await richStudent() : await richUser(name);
    const realErase = provider.erase;
    provider.erase = async (target) => {
      const before = new Map<string, Map<string, Document>>();
      for (const containerName of cosmosContainersOf(provider)) before.set(containerName, await allDocuments(containerName));
      const count = await realErase.call(provider, target);
      if (target.id === subject.id) await (planter === 'restore' ? restoreWhatEraseRemoved : planter)({ subject: target, provider, before });
      return count;
    };
    try {
      const accepted = await erase(subject, 'SAK-PLANT/2');
      expect(accepted.status, accepted.text).toBe(202);
      const failed = await settledErasure(accepted.body.id);
      expect(failed).toMatchObject({ status: 'failed', counts: { subjects: 1, completed: 0, failed: 1 } });
      expect(await provider.verify(subject)).not.toEqual([]);
    } finally {
      provider.erase = realErase;
    }
    const repeated = await erase(subject, 'SAK-PLANT/2');
    expect(repeated.status, repeated.text).toBe(202);
    expect(await settledErasure(repeated.body.id)).toMatchObject({ status: 'completed', counts: { completed: 1, failed: 0 } });
    expect(await provider.verify(subject)).toEqual([]);
  }, 60_000);
});
