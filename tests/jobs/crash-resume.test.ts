import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { loadConfig } from '../../lib/config/config.js';
import { createServices, prepareServices } from '../../lib/composition-root.js';
import { erasureInstanceId } from '../../lib/erasure/orchestrated-erasure-runner.js';
import type { JobRunView } from '../../lib/jobs/job-runs.js';
import { CosmosTaskHub } from '../../lib/jobs/local-durable/index.js';
import { localDriverRuntime } from '../../lib/jobs/local-jobs.js';
import { createLogger } from '../../lib/logger.js';
import type { Services } from '../../lib/services.js';
import { USAGE_ANONYMISATION_FUNCTIONS } from '../../lib/usage/usage-anonymisation-job.js';
import { DEV_ISSUER, generateDevKeys, mintDevToken, type DevIssuerKeys } from '../../local/dev-issuer.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, COSMOS_EMULATOR_KEY } from '../../local/stack.js';
import { startAppProcess, type AppProcess } from '../support/app-process.js';
import { findAnywhere } from '../support/data-scan.js';
import { allDocuments, staffPrincipal } from '../usage/usage-fixtures.js';

/**
 * Crash and resume with real processes: the app runs in a child process that kills itself
 * (SIGKILL) at a chosen point (fault injected on purpose, named in each test); a fresh
 * process on the same database and Azurite carries on. No instruction or run is repeated.
 */
const processes: AppProcess[] = [];
const DAY = 86_400_000;
const seedingClock = { now: () => new Date(Date.now() - 60 * DAY) };
let database: string;
let keys: DevIssuerKeys;
let store: Services;

async function app(kill?: Parameters<typeof startAppProcess>[0]['kill'], env: Record<string, string> = {}): Promise<AppProcess> {
  const started = await startAppProcess({ database, keys, ...(kill ? { kill } : {}), env });
  processes.push(started);
  return started;
}

/** Services of this test process on the children's database: for seeding and for scanning, never serving. */
async function servicesOn(name: string): Promise<Services> {
  const config = loadConfig({
    ENGAGE_MODE: 'local',
    COSMOS_ENDPOINT: inject('cosmosEndpoint'),
    COSMOS_KEY: COSMOS_EMULATOR_KEY,
    COSMOS_DATABASE: name,
    BLOB_ENDPOINT: inject('blobEndpoint'),
    BLOB_ACCOUNT_NAME: AZURITE_ACCOUNT,
    BLOB_ACCOUNT_KEY: AZURITE_KEY,
  });
  // Its clock is two months back: usage is seeded then, and it has to be recent when recorded.
  const services = await createServices(config, { jobRuntime: localDriverRuntime({ persist: false }), logger: createLogger(() => undefined), clock: seedingClock });
  await prepareServices(services);
  return services;
}

async function taskHubInstance(instanceId: string) {
  return (await CosmosTaskHub.open(store.cosmos.database)).read(instanceId);
}

/**
 * The instance once the task hub records it ended: a job's last activity writes its run
 * completed a moment before the orchestrator returns and the hub records that (a slow
 * machine showed the gap), so a test that has seen the run completed waits for the hub too.
 */
async function endedTaskHubInstance(instanceId: string) {
  let instance: Awaited<ReturnType<typeof taskHubInstance>>;
  await vi.waitFor(
    async () => {
      instance = await taskHubInstance(instanceId);
      expect(instance?.runtimeStatus).not.toMatch(/^(Pending|Running)$/);
    },
    { timeout: 30_000, interval: 100 },
  );
  return instance;
}

beforeAll(async () => {
  keys = await generateDevKeys();
});
afterEach(async () => {
  await Promise.all(processes.splice(0).map((process) => process.stop()));
});
afterAll(async () => {
  await store?.requestLog.close();
});

async function newDatabase(): Promise<void> {
  database = `crash-${randomUUID().slice(0, 8)}`;
  store = await servicesOn(database);
}

/** A municipality with a data admin, a school, and a student with a grade and an export of their data. */
async function seedStudent(target: AppProcess, municipality: string) {
  const operator = await target.operatorToken();
  expect((await target.request('POST', '/municipalities', { token: operator, body: { id: municipality, name: 'Krasj kommune' } })).status).toBe(201);
  let registrar = operator;
  const staff = async (roles: string[], schoolIds: string[] = []) => {
    const subject = `crash-${randomUUID()}`;
    const created = await target.request('POST', `/municipalities/${municipality}/users`, {
      token: registrar,
      body: { name: 'Test Person', email: `${subject}@example.test`, roles, schoolIds, identity: { issuer: DEV_ISSUER, subject } },
    });
    expect(created.status).toBe(201);
    return { id: created.body.id as string, token: await mintDevToken(keys, subject) };
  };
  // The operator registers the first admin only; the first admin registers everyone else.
  const admin = (await staff(['municipality-admin', 'data-admin'])).token;
  registrar = admin;
  const dataAdmin = (await staff(['data-admin'])).token;
  const school = (await target.request('POST', `/municipalities/${municipality}/schools`, { token: admin, body: { name: 'Krasjvik skole' } })).body.id as string;
  const teacher = await staff(['teacher'], [school]);
  const student = await target.request('POST', `/municipalities/${municipality}/students`, {
    token: admin,
    body: { givenName: 'Kræsj', familyName: 'Gjenopprettesen', birthDate: '2011-02-03', schoolId: school, yearLevel: 9 },
  });
  expect(student.status).toBe(201);
  const studentId = student.body.id as string;
  const group = await target.request('POST', `/municipalities/${municipality}/groups`, {
    token: admin,
    body: { schoolId: school, name: '9A', teacherIds: [teacher.id], studentIds: [studentId] },
  });
  expect(group.status).toBe(201);
  for (const body of [
    { path: 'grades', record: { subjectCode: 'NOR1206', grade: '4', term: 'autumn', schoolYear: '2026-2027', kind: 'standpunkt' } },
    { path: 'evaluations', record: { subjectCode: 'NOR1206', date: '2026-10-01', text: 'Kræsj Gjenopprettesen leser godt.' } },
  ]) {
    const created = await target.request('POST', `/municipalities/${municipality}/students/${studentId}/${body.path}`, { token: teacher.token, body: body.record });
    expect(created.status).toBe(201);
  }
  const exported = await target.request('POST', `/municipalities/${municipality}/exports`, {
    token: dataAdmin,
    body: { subjectType: 'student', subjectId: studentId, format: 'json', recipient: 'controller' },
  });
  expect(exported.status).toBe(201);
  return { dataAdmin, studentId };
}

async function erasureCompleted(target: AppProcess, municipality: string, token: string): Promise<{ id: string; status: string }> {
  let latest: { id: string; status: string } | undefined;
  await vi.waitFor(
    async () => {
      latest = (await target.request('GET', `/municipalities/${municipality}/erasures?limit=1`, { token })).body.items[0];
      expect(latest?.status).toBe('completed');
    },
    { timeout: 30_000, interval: 200 },
  );
  return latest as { id: string; status: string };
}

describe('killing the app at any point of an erasure, then starting it again', () => {
  it('fault injection (SIGKILL between accepting the erasure and scheduling it): the next process completes it from the outbox, with no repeated instruction', async () => {
    await newDatabase();
    const first = await app({ at: 'erasure-schedule' });
    const { dataAdmin, studentId } = await seedStudent(first, '3001');
    await expect(first.request('DELETE', `/municipalities/3001/students/${studentId}?instructionReference=SAK-K1`, { token: dataAdmin })).rejects.toThrow();
    expect(await first.died).toBe('erasure-schedule');
    expect((await store.erasures.unfinished()).length).toBe(1);

    const second = await app();
    // Its timer, fired now rather than at the next five minutes.
    expect((await fetch(`${new URL(second.url).origin}/admin/functions/erasure-resume`, { method: 'POST' })).status).toBe(202);
    const erasure = await erasureCompleted(second, '3001', dataAdmin);
    expect(await store.erasures.unfinished()).toEqual([]);
    expect(await findAnywhere(store, [studentId, 'Gjenopprettesen'])).toEqual([]);
    // The erasure is the one the dead process accepted.
    expect((await second.request('GET', '/municipalities/3001/erasures', { token: dataAdmin })).body.items.map((item: { id: string }) => item.id)).toEqual([erasure.id]);
  }, 120_000);

  it('fault injection (SIGKILL while accepting a bulk instruction, after the first of three tombstones): the next process tombstones the rest and erases all three', async () => {
    await newDatabase();
    const first = await app({ at: 'tombstone', call: 2 });
    const { dataAdmin, studentId } = await seedStudent(first, '3003');
    const others = await Promise.all(['Andre', 'Tredje'].map(async (familyName) => (await store.students.create('3003', { givenName: 'Kræsj', familyName, birthDate: '2011-02-03', schoolId: (await store.students.get('3003', studentId)).value.schoolId, yearLevel: 9, status: 'active' })).value.id));
    const subjectIds = [studentId, ...others];
    await expect(
      first.request('POST', '/municipalities/3003/erasures', { token: dataAdmin, body: { subjectType: 'student', subjectIds, instructionReference: 'SAK-K3' } }),
    ).rejects.toThrow();
    expect(await first.died).toBe('tombstone #2');
    // Half accepted: one tombstoned, two not, and the record still knows which.
    // Readers no longer find a tombstoned subject.
    const tombstoned = await Promise.all(subjectIds.map(async (id) => (await store.students.find('3003', id)) === undefined));
    expect(tombstoned.filter(Boolean)).toHaveLength(1);

    const second = await app();
    expect((await fetch(`${new URL(second.url).origin}/admin/functions/erasure-resume`, { method: 'POST' })).status).toBe(202);
    const erasure = await erasureCompleted(second, '3003', dataAdmin);
    expect((await second.request('GET', `/municipalities/3003/erasures/${erasure.id}`, { token: dataAdmin })).body).toMatchObject({ counts: { subjects: 3, completed: 3, failed: 0 } });
    expect(await findAnywhere(store, [...subjectIds, 'Gjenopprettesen', 'Andre', 'Tredje'])).toEqual([]);
  }, 120_000);

  it('fault injection (SIGKILL in the middle of the orchestration, right after the records were anonymised): the orchestration itself resumes in the next process and completes', async () => {
    await newDatabase();
    const first = await app({ at: 'provider-erase', provider: 'records' });
    const { dataAdmin, studentId } = await seedStudent(first, '3002');
    const accepted = await first.request('DELETE', `/municipalities/3002/students/${studentId}?instructionReference=SAK-K2`, { token: dataAdmin });
    expect(accepted.status).toBe(202);
    expect(await first.died).toBe('provider-erase records');
    expect(await taskHubInstance(erasureInstanceId(accepted.body.id))).toMatchObject({ runtimeStatus: 'Running', resumed: 0 });

    const second = await app();
    await erasureCompleted(second, '3002', dataAdmin);
    // Not a new instance: the one the dead process ran, picked up from the task hub.
    expect(await endedTaskHubInstance(erasureInstanceId(accepted.body.id))).toMatchObject({ runtimeStatus: 'Completed', resumed: 1 });
    expect(await findAnywhere(store, [studentId, 'Gjenopprettesen'])).toEqual([]);
  }, 120_000);
});

describe('killing the app in the middle of a usage-anonymisation run', () => {
  /** Deleted accounts with usage events, deleted long enough ago to be due today, and one live account. */
  async function seedUsage(municipalityId: string, accounts: number, events: number) {
    const at = seedingClock.now().toISOString();
    const deleted = Array.from({ length: accounts }, () => randomUUID());
    const live = randomUUID();
    for (const accountId of [...deleted, live]) {
      const batch = Array.from({ length: events }, (_, index) => ({ type: 'feature-use' as const, feature: `feature-${index % 7}`, at, deviceId: `device-${accountId}` }));
      await store.usage.recordEvents(staffPrincipal(municipalityId, accountId), batch, { ip: '198.51.100.23', userAgent: 'EngageApp/3.1' });
    }
    for (const accountId of deleted) await store.usageLedger.recordAccountDeleted(municipalityId, accountId, new Date(Date.now() - 40 * DAY));
    return { deleted, live };
  }

  const usageDocs = async (municipalityId: string) =>
    (await allDocuments<Record<string, unknown> & { municipalityId: string; accountBucket: string; anonymised?: boolean; id: string }>(store.cosmos.containers.usage)).filter(
      (doc) => doc.municipalityId === municipalityId,
    );

  async function runOf(target: AppProcess, id: string): Promise<JobRunView> {
    let run: JobRunView | undefined;
    await vi.waitFor(
      async () => {
        run = (await target.request<JobRunView>('GET', `/operations/jobs/usage-anonymisation/runs/${id}`, { token: await target.operatorToken() })).body;
        expect(run?.status).toBe('completed');
      },
      { timeout: 60_000, interval: 250 },
    );
    return run as JobRunView;
  }

  async function expectAnonymisedOnce(municipalityId: string, before: Awaited<ReturnType<typeof usageDocs>>, deleted: string[], live: string) {
    const after = await usageDocs(municipalityId);
    const originals = before.filter((doc) => deleted.some((id) => doc.accountBucket.startsWith(`acct:${id}:`) && !doc.accountBucket.endsWith(':months')));
    const twins = after.filter((doc) => doc.anonymised === true);
    // Every record became exactly one twin: none lost, none twice.
    expect(twins).toHaveLength(originals.length);
    expect(after.filter((doc) => deleted.some((id) => doc.accountBucket.startsWith(`acct:${id}:`)))).toEqual([]);
    const liveOf = (docs: typeof before) => docs.filter((doc) => doc.accountBucket.startsWith(`acct:${live}:`));
    expect(liveOf(after)).toEqual(liveOf(before));
    expect(await findAnywhere(store, deleted)).toEqual([]);
  }

  it('fault injection (SIGKILL in the third batch): the same run resumes in the next process and finishes, every record anonymised once', async () => {
    await newDatabase();
    const { deleted, live } = await seedUsage('3101', 4, 100);
    const before = await usageDocs('3101');
    const env = { USAGE_ANONYMISATION_BATCH_RECORDS: '40' };
    const first = await app({ at: 'activity', name: USAGE_ANONYMISATION_FUNCTIONS.batch, call: 3 }, env);
    const started = await first.request<{ id: string }>('POST', '/operations/jobs/usage-anonymisation/runs', { token: await first.operatorToken(), body: {} });
    expect(started.status).toBe(202);
    expect(await first.died).toBe(`activity ${USAGE_ANONYMISATION_FUNCTIONS.batch} #3`);
    const partial = (await usageDocs('3101')).filter((doc) => doc.anonymised === true).length;
    expect(partial).toBe(80);

    const second = await app(undefined, env);
    const run = await runOf(second, started.body.id);
    expect(run).toMatchObject({ status: 'completed', failures: 0, remaining: 0, processed: 4 });
    expect(await endedTaskHubInstance(started.body.id)).toMatchObject({ runtimeStatus: 'Completed', resumed: 1 });
    const { resources: runs } = await store.cosmos.containers.jobs.items.query("SELECT c.runId FROM c WHERE c.type = 'job-run'").fetchAll();
    expect(runs).toEqual([{ runId: started.body.id }]);
    await expectAnonymisedOnce('3101', before, deleted, live);
  }, 120_000);

  it('fault injection (SIGKILL after twins were written, before the originals were deleted): the resumed run makes no duplicates', async () => {
    await newDatabase();
    const { deleted, live } = await seedUsage('3102', 2, 30);
    const before = await usageDocs('3102');
    const first = await app({ at: 'bulk-delete', partitionIncludes: 'acct:' });
    const started = await first.request<{ id: string }>('POST', '/operations/jobs/usage-anonymisation/runs', { token: await first.operatorToken(), body: {} });
    expect(started.status).toBe(202);
    expect(await first.died).toBe('bulk-delete');
    // Both the twins and the originals of the interrupted page exist.
    expect((await usageDocs('3102')).length).toBeGreaterThan(before.length);

    const second = await app();
    expect(await runOf(second, started.body.id)).toMatchObject({ status: 'completed', failures: 0, remaining: 0, processed: 2 });
    expect(await taskHubInstance(started.body.id)).toMatchObject({ resumed: 1 });
    await expectAnonymisedOnce('3102', before, deleted, live);
  }, 120_000);
});
