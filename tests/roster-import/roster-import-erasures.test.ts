import type { ActivityHandler } from 'durable-functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDriverRuntime } from '../../lib/jobs/local-jobs.js';
import type { PrivacyProvider } from '../../lib/privacy/privacy-provider.js';
import { RosterRunStore } from '../../lib/roster-import/roster-runs.js';
import { RosterWriter } from '../../lib/roster-import/roster-writer.js';
import { DEV_ISSUER } from '../../local/dev-issuer.js';
import { erasuresSettled } from '../support/erasures.js';
import { allItems, bootstrapAdminToken, createStaffUser, registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { follow, importRoster, rosterFiles, upload, zip, type Person, type RosterSet, type RunView } from './oneroster-fixture.js';

// P16 against an import: a person an erasure instruction covers is not brought back, neither by
// the next import nor by one whose plan was made before the instruction and is applied after.

const SCHOOL = { sourcedId: 'sch-a', name: 'Lilleby skole', organisationNumber: '974000101' };
/** Teacher t-1 of class c-0 and of `more` classes after it (c-1…), with `people` besides. */
function teacherWithClasses(municipalityId: string, more: number, people: Person[] = []): RosterSet {
  const classes = Array.from({ length: more + 1 }, (_, index) => ({ sourcedId: `c-${index}`, title: `K${index}`, school: 'sch-a', term: 'sy-2027' }));
  return {
    municipalityId,
    schools: [SCHOOL],
    people: [{ sourcedId: 't-1', givenName: 'Tone', familyName: 'Lærer', role: 'teacher', school: 'sch-a', feide: `tone-${municipalityId}` }, ...people],
    classes,
    enrollments: classes.map((cls, index) => ({ sourcedId: `e-${index}`, classSourcedId: cls.sourcedId, userSourcedId: 't-1', role: 'teacher' as const })),
  };
}
const pupil = (index: number): Person => ({ sourcedId: `s-${index}`, givenName: `Elev${index}`, familyName: 'Nordmann', role: 'student', school: 'sch-a', grade: '05', birthDate: `2016-04-0${index}` });

/** Faults the tests inject into the apply activity: a pause before a batch, a call before the first retry of a batch. */
const faults: { holdBatch?: { from: number; reached: () => void; released: Promise<void> }; beforeRetry?: () => Promise<void> } = {};
const applied = new Set<string>();
const wrapActivity = (name: string, handler: ActivityHandler): ActivityHandler => async (input, context) => {
  if (name === 'roster-import-apply') {
    const { runId, batch } = input as { runId: string; batch: number };
    if (applied.has(`${runId}/${batch}`) && faults.beforeRetry) await faults.beforeRetry();
    applied.add(`${runId}/${batch}`);
    const hold = faults.holdBatch;
    if (hold && batch >= hold.from) {
      faults.holdBatch = undefined;
      hold.reached();
      await hold.released;
    }
  }
  return handler(input, context);
};

describe('roster import and erasure (P16)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: { ROSTER_IDENTITY_ISSUER: DEV_ISSUER }, composition: { jobRuntime: localDriverRuntime({ wrapActivity }) } });
  }, 60_000);

  afterAll(async () => {
    await test?.close();
  });

  const directory = () => test.app.services.cosmos.containers.directory;
  const documents = async <T,>(municipalityId: string, where: string, id = '') =>
    (await directory().items.query<T>({ query: `SELECT * FROM c WHERE c.municipalityId = @m AND ${where}`, parameters: [{ name: '@m', value: municipalityId }, { name: '@id', value: id }] }).fetchAll()).resources;

  it('does not import again a staff user registered through the API, linked by an import and then erased (their id was not the one the import derives)', async () => {
    const M = '6101';
    await registerMunicipality(test, M);
    const admin = await bootstrapAdminToken(test, M);
    const teacher = await createStaffUser(test, M, ['teacher'], { name: 'Tone Lærer' });
    const set: RosterSet = { municipalityId: M, schools: [SCHOOL], people: [{ sourcedId: 't-1', givenName: 'Tone', familyName: 'Lærer', role: 'teacher', school: 'sch-a', feide: teacher.subject }], classes: [], enrollments: [] };
    expect((await importRoster(test, admin, M, zip(rosterFiles(set)))).status).toBe('completed');
    const linked = await allItems<{ id: string; name: string }>(test, `/municipalities/${M}/users?limit=100`, admin);
    expect(linked.filter((user) => user.name === 'Tone Lærer').map((user) => user.id)).toEqual([teacher.id]);
    const erasure = await test.request('DELETE', `/municipalities/${M}/users/${teacher.id}?instructionReference=SAK-2026/61`, { token: admin });
    expect(erasure.status, erasure.text).toBe(202);
    await erasuresSettled(test);
    const again = await importRoster(test, admin, M, zip(rosterFiles(set)));
    expect(again.status).toBe('completed');
    expect(again.rejections).toEqual([{ file: 'users.csv', line: 2, column: 'sourcedId', reason: expect.stringContaining('was erased on the controller’s instruction') }]);
    expect(await documents(M, "c.type = 'user' AND c.name = 'Tone Lærer'")).toEqual([]);
    // Registered through the API again, as the rejection says, she is theirs: the next import links her by her login.
    const registered = await test.request<{ id: string }>('POST', `/municipalities/${M}/users`, {
      token: admin,
      body: { name: 'Tone Lærer', email: 'tone@skole.example', roles: ['teacher'], schoolIds: [], identity: { issuer: DEV_ISSUER, subject: teacher.subject } },
    });
    expect(registered.status, registered.text).toBe(201);
    const relinked = await importRoster(test, admin, M, zip(rosterFiles(set)));
    expect(relinked.rejections).toEqual([]);
    expect(await documents<{ id: string }>(M, "c.type = 'user' AND c.sourcedId = 't-1'")).toEqual([expect.objectContaining({ id: registered.body.id })]);
  });

  it('does not put into a group a pupil whose erasure was accepted but whose tombstone has not landed (injected: the acceptance stopped before the tombstone, the orchestration not started)', async () => {
    const M = '6105';
    await registerMunicipality(test, M);
    const admin = await bootstrapAdminToken(test, M);
    const base: RosterSet = { municipalityId: M, schools: [SCHOOL], people: [pupil(1), pupil(2)], classes: [], enrollments: [] };
    expect((await importRoster(test, admin, M, zip(rosterFiles(base)))).status).toBe('completed');
    const [elev1] = await documents<{ id: string }>(M, "c.type = 'student' AND c.sourcedId = 's-1'");
    const runner = test.app.services.erasureRunner;
    const schedule = runner.schedule.bind(runner);
    runner.schedule = async () => false;
    try {
      const accepted = await test.request('DELETE', `/municipalities/${M}/students/${elev1?.id}?instructionReference=SAK-2026/65`, { token: admin });
      expect(accepted.status, accepted.text).toBe(202);
    } finally {
      runner.schedule = schedule;
    }
    // The record names the pupil; the tombstone is not there (as when the acceptance stopped after writing the record).
    await directory().item(elev1?.id ?? '', M).patch([{ op: 'remove', path: '/erasureId' }]);
    const next: RosterSet = {
      ...base,
      classes: [{ sourcedId: 'c-1', title: '5A', school: 'sch-a', term: 'sy-2027' }],
      enrollments: [1, 2].map((index) => ({ sourcedId: `e-${index}`, classSourcedId: 'c-1', userSourcedId: `s-${index}`, role: 'student' as const })),
    };
    const run = await importRoster(test, admin, M, zip(rosterFiles(next)));
    expect(run.status).toBe('completed');
    expect(run.rejections).toContainEqual({ file: 'users.csv', line: 2, column: 'sourcedId', reason: expect.stringContaining('while the erasure runs') });
    const [group] = await documents<{ studentIds: string[] }>(M, "c.type = 'group'");
    expect(group?.studentIds).toHaveLength(1);
    expect(group?.studentIds).not.toContain(elev1?.id);
  });

  it('leaves out of the groups it creates a teacher and a pupil erased while its batches are applied, and does not write the pupil back', async () => {
    const M = '6102';
    await registerMunicipality(test, M);
    const admin = await bootstrapAdminToken(test, M);
    const base = teacherWithClasses(M, 0, [pupil(1), pupil(2)]);
    base.enrollments.push({ sourcedId: 'e-0-1', classSourcedId: 'c-0', userSourcedId: 's-1', role: 'student' });
    expect((await importRoster(test, admin, M, zip(rosterFiles(base)))).status).toBe('completed');
    const [tone] = await documents<{ id: string }>(M, "c.type = 'user' AND c.sourcedId = 't-1'");
    const [elev1] = await documents<{ id: string }>(M, "c.type = 'student' AND c.sourcedId = 's-1'");
    // 150 new classes taught by the teacher, the last of them also the pupil's: two batches, the second held until both are erased.
    const more = teacherWithClasses(M, 150, [pupil(1), pupil(2)]);
    more.enrollments.push({ sourcedId: 'e-0-1', classSourcedId: 'c-0', userSourcedId: 's-1', role: 'student' });
    more.enrollments.push({ sourcedId: 'e-150-1', classSourcedId: 'c-150', userSourcedId: 's-1', role: 'student' }, { sourcedId: 'e-150-2', classSourcedId: 'c-150', userSourcedId: 's-2', role: 'student' });
    let reached!: () => void;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (reached = resolve));
    faults.holdBatch = { from: 1, reached: () => reached(), released: new Promise<void>((resolve) => (release = resolve)) };
    const blob = await upload(test, admin, M, zip(rosterFiles(more)));
    const started = await test.request<RunView>('POST', `/municipalities/${M}/roster-imports`, { token: admin, body: { blob, mode: 'bulk' } });
    expect(started.status, started.text).toBe(202);
    await held;
    for (const path of [`users/${tone?.id}`, `students/${elev1?.id}`]) {
      const erasure = await test.request('DELETE', `/municipalities/${M}/${path}?instructionReference=SAK-2026/62`, { token: admin });
      expect(erasure.status, erasure.text).toBe(202);
    }
    await erasuresSettled(test);
    release();
    const run = await follow(test, admin, started.headers.get('location') ?? '');
    expect(run).toMatchObject({ status: 'completed', batches: 2, appliedBatches: 2 });
    expect(await documents(M, "c.type = 'group' AND (ARRAY_CONTAINS(c.teacherIds, @id) OR ARRAY_CONTAINS(c.studentIds, @id))", tone?.id)).toEqual([]);
    expect(await documents(M, "c.type = 'group' AND ARRAY_CONTAINS(c.studentIds, @id)", elev1?.id)).toEqual([]);
    expect(await documents(M, 'c.id = @id', elev1?.id)).toEqual([]);
    expect(await documents(M, "c.type = 'student' AND ARRAY_CONTAINS(c.teacherIds, @id)", tone?.id)).toEqual([]);
    // The rest of the plan was written: the other pupil is in the last class.
    const [last] = await documents<{ studentIds: string[] }>(M, "c.type = 'group' AND c.sourcedId = 'c-150'");
    expect(last?.studentIds).toHaveLength(1);
  });

  it('an erasure accepted while a batch is being written, after that batch checked the erasures, waits for the write and then takes the person out of what it wrote (injected: a slow bulk write)', async () => {
    const M = '6104';
    await registerMunicipality(test, M);
    const admin = await bootstrapAdminToken(test, M);
    expect((await importRoster(test, admin, M, zip(rosterFiles(teacherWithClasses(M, 0))))).status).toBe('completed');
    const [tone] = await documents<{ id: string }>(M, "c.type = 'user' AND c.sourcedId = 't-1'");
    const more = teacherWithClasses(M, 30);
    const original = RosterWriter.prototype.apply;
    let reached!: () => void;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const imports = test.app.services.privacy.all().find((provider) => provider.name === 'roster-import') as PrivacyProvider;
    const writesInFlight = imports.writesInFlight?.bind(imports);
    let waited!: () => void;
    const waitedOnce = new Promise<void>((resolve) => (waited = resolve));
    imports.writesInFlight = async (municipalityId, acceptedAt) => {
      const inFlight = (await writesInFlight?.(municipalityId, acceptedAt)) ?? false;
      if (inFlight) waited();
      return inFlight;
    };
    RosterWriter.prototype.apply = async function (this: RosterWriter, municipalityId, ops) {
      if (municipalityId === M) {
        reached();
        await released;
      }
      return original.call(this, municipalityId, ops);
    };
    try {
      const blob = await upload(test, admin, M, zip(rosterFiles(more)));
      const started = await test.request<RunView>('POST', `/municipalities/${M}/roster-imports`, { token: admin, body: { blob, mode: 'bulk' } });
      expect(started.status, started.text).toBe(202);
      await held;
      const accepted = await test.request('DELETE', `/municipalities/${M}/users/${tone?.id}?instructionReference=SAK-2026/64`, { token: admin });
      expect(accepted.status, accepted.text).toBe(202);
      const erasure = accepted.headers.get('location')?.replace(/^\/api/, '') ?? '';
      // The erasure has asked and been told to wait; it has erased nobody meanwhile.
      await waitedOnce;
      expect((await test.request<{ status: string; counts: { completed: number } }>('GET', erasure, { token: admin })).body).toMatchObject({ counts: { completed: 0 } });
      expect(await documents(M, 'c.id = @id', tone?.id)).toHaveLength(1);
      release();
      expect((await follow(test, admin, started.headers.get('location') ?? '')).status).toBe('completed');
      await erasuresSettled(test, 90_000);
      expect((await test.request<{ status: string }>('GET', erasure, { token: admin })).body.status).toBe('completed');
    } finally {
      RosterWriter.prototype.apply = original;
      imports.writesInFlight = writesInFlight;
      release();
    }
    expect(await documents(M, "c.type = 'group' AND ARRAY_CONTAINS(c.teacherIds, @id)", tone?.id)).toEqual([]);
    expect(await documents(M, "c.type = 'group'")).toHaveLength(31);
  }, 120_000);

  it('does not create again a pupil erased between a batch whose writes landed and its retry, and the erasure does not wait for the failed attempt (injected: the progress write fails once)', async () => {
    const M = '6103';
    await registerMunicipality(test, M);
    const admin = await bootstrapAdminToken(test, M);
    const set: RosterSet = { municipalityId: M, schools: [SCHOOL], people: [pupil(1), pupil(2)], classes: [], enrollments: [] };
    const original = RosterRunStore.prototype.update;
    let failOnce = true;
    RosterRunStore.prototype.update = async function (this: RosterRunStore, municipalityId, id, change) {
      if (failOnce && municipalityId === M && 'failedWrites' in (change(await this.get(municipalityId, id)) ?? {})) {
        failOnce = false;
        throw Object.assign(new Error('injected: the progress write timed out'), { code: 503 });
      }
      return original.call(this, municipalityId, id, change);
    };
    faults.beforeRetry = async () => {
      const [elev1] = await documents<{ id: string }>(M, "c.type = 'student' AND c.sourcedId = 's-1'");
      const accepted = await test.request('DELETE', `/municipalities/${M}/students/${elev1?.id}?instructionReference=SAK-2026/63`, { token: admin });
      expect(accepted.status, accepted.text).toBe(202);
      // Completes before the retry: the failed attempt's writes had landed, and it took its mark away.
      await erasuresSettled(test);
      expect((await test.request<{ status: string }>('GET', accepted.headers.get('location')?.replace(/^\/api/, '') ?? '', { token: admin })).body.status).toBe('completed');
    };
    try {
      expect((await importRoster(test, admin, M, zip(rosterFiles(set)))).status).toBe('completed');
    } finally {
      RosterRunStore.prototype.update = original;
      faults.beforeRetry = undefined;
    }
    expect((await documents<{ givenName: string }>(M, "c.type = 'student'")).map((student) => student.givenName)).toEqual(['Elev2']);
  });

  it('audits what a batch wrote before the batch fails on a status no rule explains, also when every attempt fails (injected: one write answers 500 each time)', async () => {
    const M = '6106';
    await registerMunicipality(test, M);
    const admin = await bootstrapAdminToken(test, M);
    const original = RosterWriter.prototype.apply;
    RosterWriter.prototype.apply = async function (this: RosterWriter, municipalityId, ops) {
      const outcome = await original.call(this, municipalityId, ops);
      return municipalityId === M ? { ...outcome, unexpected: 500 } : outcome;
    };
    let run: RunView;
    try {
      run = await importRoster(test, admin, M, zip(rosterFiles({ municipalityId: M, schools: [SCHOOL], people: [pupil(1)], classes: [], enrollments: [] })));
    } finally {
      RosterWriter.prototype.apply = original;
    }
    expect(run).toMatchObject({ status: 'failed', appliedBatches: 0 });
    const [elev1] = await documents<{ id: string }>(M, "c.type = 'student' AND c.sourcedId = 's-1'");
    const entries = (await test.request<{ items: { action: string; resourceType: string }[] }>('GET', `/municipalities/${M}/audit?targetId=${elev1?.id}`, { token: admin })).body.items;
    expect(entries.filter((entry) => entry.action === 'create')).not.toEqual([]);
  });

  it('audits a batch that read its run before its starter was erased under the erased starter\'s pseudonym, not their id (injected: a pause between the run read and the batch\'s mark)', async () => {
    const M = '6107';
    await registerMunicipality(test, M);
    const admin = await bootstrapAdminToken(test, M);
    const starter = await createStaffUser(test, M, ['data-admin']);
    const original = RosterRunStore.prototype.update;
    let reached!: () => void;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    RosterRunStore.prototype.update = async function (this: RosterRunStore, municipalityId, id, change) {
      if (municipalityId === M && (change(await this.get(municipalityId, id)) as { batchesInFlight?: unknown[] } | undefined)?.batchesInFlight?.length) {
        reached();
        await released;
      }
      return original.call(this, municipalityId, id, change);
    };
    let erasure: string;
    try {
      const blob = await upload(test, starter.token, M, zip(rosterFiles({ municipalityId: M, schools: [SCHOOL], people: [pupil(1)], classes: [], enrollments: [] })));
      const started = await test.request<RunView>('POST', `/municipalities/${M}/roster-imports`, { token: starter.token, body: { blob, mode: 'bulk' } });
      expect(started.status, started.text).toBe(202);
      await held;
      // The batch has read its run (the starter's id in it) and not yet marked itself: the erasure does not wait for it, and sweeps the audit first.
      const accepted = await test.request('DELETE', `/municipalities/${M}/users/${starter.id}?instructionReference=SAK-2026/67`, { token: admin });
      expect(accepted.status, accepted.text).toBe(202);
      erasure = accepted.headers.get('location')?.replace(/^\/api/, '') ?? '';
      await erasuresSettled(test);
      release();
      expect((await follow(test, admin, started.headers.get('location') ?? '')).status).toBe('completed');
    } finally {
      RosterRunStore.prototype.update = original;
      release();
    }
    const pseudonym = (await test.request<{ auditPseudonyms: string[] }>('GET', erasure, { token: admin })).body.auditPseudonyms[0];
    const [elev1] = await documents<{ id: string }>(M, "c.type = 'student' AND c.sourcedId = 's-1'");
    const entries = (await test.request<{ items: { action: string; actorId: string }[] }>('GET', `/municipalities/${M}/audit?targetId=${elev1?.id}`, { token: admin })).body.items;
    expect(entries.filter((entry) => entry.action === 'create').map((entry) => entry.actorId)).toEqual([pseudonym]);
  });
});
