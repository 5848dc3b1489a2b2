import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRunView } from '../../lib/jobs/job-runs.js';
import type { LocalJobScheduler } from '../../lib/jobs/local-job-scheduler.js';
import { PLATFORM_TENANT, platformBucket } from '../../lib/usage/usage-model.js';
import { createStaffUser, registerMunicipality, startTestApp, type SeededUser, type TestApp } from '../support/test-app.js';
import { allDocuments, capturingLogger, ManualClock, staffPrincipal, waitForRun } from '../usage/usage-fixtures.js';

const JOB = 'usage-anonymisation';
const MARCH = '2031-03-10T12:00:00.000Z';
const APRIL = '2031-04-01T08:00:00.000Z';
const DELETED_AT = '2031-04-02T09:00:00.000Z';
// N = 30 days: deleted on 2031-04-02, due on 2031-05-02.
const DAY_BEFORE_DUE = '2031-05-01';
const DUE_DAY = '2031-05-02';

const clock = new ManualClock(MARCH);
const captured = capturingLogger();
let test: TestApp;
let operator: string;
let leaver: SeededUser;
let colleague: SeededUser;
let foreignLeaver: SeededUser;

const LEAVER_DEVICE = 'leaver-device-7f3a9c';
const LEAVER_PHONE = '+47 915 55 123';
const LEAVER_IP = '203.0.113.77';

type Doc = Record<string, unknown> & { id: string; accountBucket: string; _etag: string };

async function usageDocs(): Promise<Doc[]> {
  await test.app.services.requestLog.flush();
  return allDocuments<Doc>(test.app.services.cosmos.containers.usage);
}

const ofAccount = (docs: Doc[], accountId: string) => docs.filter((doc) => doc.accountBucket.startsWith(`acct:${accountId}:`));
const tenantDocs = (docs: Doc[]) => docs.filter((doc) => doc.municipalityId !== PLATFORM_TENANT);
/** Request logs of callers without a tenant account, on days up to `lastDay`. */
const platformLogsUpTo = (docs: Doc[], lastDay: string) =>
  docs.filter((doc) => doc.municipalityId === PLATFORM_TENANT && doc.accountBucket <= platformBucket(lastDay));

async function startRun(body: Record<string, unknown>): Promise<string> {
  const response = await test.request<{ id: string }>('POST', `/operations/jobs/${JOB}/runs`, { token: operator, body });
  expect(response.status, response.text).toBe(202);
  expect(response.headers.get('location')).toBe(`/api/operations/jobs/${JOB}/runs/${response.body.id}`);
  return response.body.id;
}

async function useTheService(user: SeededUser, device: string, phone: string): Promise<void> {
  const events = [
    { type: 'session-start', feature: 'app', at: clock.now().toISOString(), deviceId: device },
    { type: 'feature-use', feature: 'grades/list', at: clock.now().toISOString() },
  ];
  expect((await test.request('POST', '/usage/events', { token: user.token, body: { events } })).status).toBe(202);
  const registered = await test.request('POST', '/me/devices', {
    token: user.token,
    headers: { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Version/17.4 Mobile/15E148 Safari/604.1' },
    body: { deviceId: device, model: 'iPhone 15', os: 'ios', osVersion: '17.4', network: 'Telia', phone },
  });
  expect(registered.status).toBe(201);
  expect((await test.request('GET', '/me', { token: user.token })).status).toBe(200);
}

beforeAll(async () => {
  test = await startTestApp({ clock, env: { USAGE_ANONYMISATION_DELAY_DAYS: '30' }, composition: { logger: captured.logger } });
  operator = await test.operatorToken();
  await registerMunicipality(test, '0301');
  await registerMunicipality(test, '4601');
  leaver = await createStaffUser(test, '0301', ['teacher']);
  colleague = await createStaffUser(test, '0301', ['teacher']);
  foreignLeaver = await createStaffUser(test, '4601', ['school-admin']);
  for (const when of [MARCH, APRIL]) {
    clock.set(when);
    await useTheService(leaver, LEAVER_DEVICE, LEAVER_PHONE);
    await useTheService(colleague, 'colleague-device-1b2c', '+47 400 00 001');
    await useTheService(foreignLeaver, 'foreign-device-9d8e', '+47 400 00 002');
  }
  // An address only the leaver ever used, so the test can prove it is gone.
  const leaverPrincipal = staffPrincipal('0301', leaver.id, leaver.subject);
  await test.app.services.usage.recordEvents(leaverPrincipal, [{ type: 'error', feature: 'sync', at: APRIL }], { ip: LEAVER_IP, userAgent: 'EngageApp/3.1' });
  clock.set(DELETED_AT);
  // What the erasure of a staff user does (the lead's DELETE .../users/{id} calls this).
  await test.app.services.usageLedger.recordAccountDeleted('0301', leaver.id, new Date(DELETED_AT));
  await test.app.services.usageLedger.recordAccountDeleted('0301', leaver.id, new Date(DELETED_AT));
  await test.app.services.usageLedger.recordAccountDeleted('4601', foreignLeaver.id, new Date(DELETED_AT));
});
afterAll(() => test.close());

describe('usage-anonymisation on a simulated clock (P10)', () => {
  let leaverBefore: Doc[];
  let colleagueBefore: Doc[];
  let foreignBefore: Doc[];

  it('recording a deletion twice leaves one ledger entry', async () => {
    const ledger = await allDocuments<Doc>(test.app.services.cosmos.containers.ledger);
    expect(ledger.filter((doc) => doc.type === 'usage-due' && doc.accountId === leaver.id)).toHaveLength(1);
  });

  it('on day N-1 nothing is due: the leaver\'s usage is untouched; platform logs past 30 days are removed', async () => {
    const docs = await usageDocs();
    leaverBefore = ofAccount(docs, leaver.id);
    colleagueBefore = ofAccount(docs, colleague.id);
    foreignBefore = ofAccount(docs, foreignLeaver.id);
    // Two months of events, devices and request logs, plus the two month markers.
    expect(leaverBefore.filter((doc) => doc.type === 'usage-month')).toHaveLength(2);
    expect(leaverBefore.filter((doc) => doc.type === 'request-log').length).toBeGreaterThanOrEqual(6);
    // The operator's requests of 10 March (registering tenants and users): older than 30 days on 1 May.
    const platformExpired = platformLogsUpTo(docs, '2031-03-31');
    expect(platformExpired.length).toBeGreaterThan(0);

    const run = await waitForRun(test, JOB, await startRun({ asOf: DAY_BEFORE_DUE }));
    expect(run).toMatchObject({ status: 'completed', processed: 0, remaining: 0, failures: 0, dryRun: false, trigger: 'operator' });
    expect(run.records).toBe(platformExpired.length);
    const after = await usageDocs();
    expect(ofAccount(after, leaver.id)).toEqual(leaverBefore);
    expect(platformLogsUpTo(after, '2031-03-31')).toEqual([]);
  });

  it('on day N every usage record of both deleted accounts is anonymised, in both municipalities', async () => {
    const platformExpired = platformLogsUpTo(await usageDocs(), '2031-04-01');
    const run = await waitForRun(test, JOB, await startRun({ asOf: DUE_DAY }));
    const records = (docs: Doc[]) => docs.filter((doc) => doc.type !== 'usage-month').length;
    expect(run).toMatchObject({ status: 'completed', processed: 2, remaining: 0, failures: 0, overdue: 0 });
    expect(run.records).toBe(records(leaverBefore) + records(foreignBefore) + platformExpired.length);

    const after = await usageDocs();
    expect(ofAccount(after, leaver.id)).toEqual([]);
    expect(ofAccount(after, foreignLeaver.id)).toEqual([]);
    const twins = after.filter((doc) => doc.anonymised === true);
    expect(twins).toHaveLength(records(leaverBefore) + records(foreignBefore));
    expect(twins.every((doc) => /^anon:2031-0[34]:[0-9a-f]$/.test(doc.accountBucket) && doc.accountId === undefined)).toBe(true);
    expect(new Set(twins.map((doc) => doc.ip))).toEqual(new Set(['127.0.0.0/24', '203.0.113.0/24']));
    expect(new Set(twins.map((doc) => doc.userAgent))).toEqual(new Set(['Safari/iOS', 'Tool/Other', 'Other/Other']));
    expect(twins.some((doc) => 'deviceId' in doc || 'phone' in doc || 'receivedAt' in doc)).toBe(false);
    const ledger = await allDocuments<Doc>(test.app.services.cosmos.containers.ledger);
    expect(ledger).toEqual([]);
  });

  it('nothing of the leaver (id, device id, phone, IP) is findable anywhere afterwards', async () => {
    const everything = JSON.stringify([
      await usageDocs(),
      await allDocuments(test.app.services.cosmos.containers.ledger),
      await allDocuments(test.app.services.cosmos.containers.jobs),
    ]);
    for (const canary of [leaver.id, foreignLeaver.id, LEAVER_DEVICE, LEAVER_PHONE, LEAVER_IP, 'foreign-device-9d8e', '+47 400 00 002']) {
      expect(everything, canary).not.toContain(canary);
    }
    const logs = JSON.stringify(captured.lines);
    for (const canary of [leaver.id, LEAVER_DEVICE, LEAVER_PHONE, LEAVER_IP]) expect(logs, canary).not.toContain(canary);
  });

  it("a live colleague's usage is untouched, byte for byte", async () => {
    expect(ofAccount(await usageDocs(), colleague.id)).toEqual(colleagueBefore);
  });

  it('signals the completed run with counts and the job name only', () => {
    const completed = captured.lines.filter((line) => line.event === 'RetentionJobCompleted');
    expect(completed.at(-1)).toMatchObject({ jobName: JOB, processed: 2, failures: 0, remaining: 0, dryRun: false, durationMs: expect.any(Number) });
    expect(captured.lines.some((line) => line.event === 'RetentionJobOverdue')).toBe(false);
  });

  it('replays deterministically on the local driver (verifyReplay), with small activity payloads', async () => {
    const driver = (test.app.services.jobs.scheduler as LocalJobScheduler).driver;
    const instances = driver.listInstances();
    expect(instances.length).toBeGreaterThan(0);
    // verifyReplay is on: a non-deterministic orchestrator would have ended Failed.
    expect(instances.every((instance) => instance.runtimeStatus === 'Completed')).toBe(true);
    const largest = Math.max(...instances.flatMap((instance) => [instance.payload.maxActivityInputBytes, instance.payload.maxActivityOutputBytes]));
    expect(largest).toBeLessThan(2_048);
  });

  it('a second run finds nothing left to do', async () => {
    const run = await waitForRun(test, JOB, await startRun({ asOf: DUE_DAY }));
    expect(run).toMatchObject({ status: 'completed', processed: 0, records: 0, remaining: 0 });
  });
});

describe('dry runs and the overdue signal', () => {
  it('a dry run reports what is due and changes nothing', async () => {
    await test.app.services.usageLedger.recordAccountDeleted('0301', colleague.id, new Date(DELETED_AT));
    const before = tenantDocs(await usageDocs());
    const run = await waitForRun(test, JOB, await startRun({ asOf: DUE_DAY, dryRun: true }));
    expect(run).toMatchObject({ status: 'completed', dryRun: true, processed: 0, remaining: 1, records: 0 });
    expect(tenantDocs(await usageDocs())).toEqual(before);
    expect(captured.lines.filter((line) => line.event === 'RetentionJobDryRun').at(-1)).toMatchObject({ jobName: JOB, remaining: 1 });
  });

  it('an entry past its 3-month deadline fires RetentionJobOverdue', async () => {
    const run = await waitForRun(test, JOB, await startRun({ asOf: '2031-07-03', dryRun: true }));
    expect(run.overdue).toBe(1);
    expect(captured.lines.filter((line) => line.event === 'RetentionJobOverdue').at(-1)).toEqual(
      expect.objectContaining({ jobName: JOB, runId: run.id, overdue: 1 }),
    );
  });
});

describe('the job-run routes (platform operators only)', () => {
  it('others are refused: no token 401, staff and unregistered 403', async () => {
    const path = `/operations/jobs/${JOB}/runs`;
    expect((await test.request('POST', path, { body: {} })).status).toBe(401);
    expect((await test.request('POST', path, { token: colleague.token, body: {} })).status).toBe(403);
    expect((await test.request('POST', path, { token: await test.token('not-registered'), body: {} })).status).toBe(403);
    const id = await startRun({ dryRun: true });
    expect((await test.request('GET', `${path}/${id}`, { token: colleague.token })).status).toBe(403);
    await waitForRun(test, JOB, id);
  });

  it('an unknown job or run is 404; bad input is 400 and starts nothing', async () => {
    expect((await test.request('POST', '/operations/jobs/leaver-shredder/runs', { token: operator, body: {} })).status).toBe(404);
    expect((await test.request('GET', `/operations/jobs/${JOB}/runs/no-such-run`, { token: operator })).status).toBe(404);
    expect((await test.request('GET', '/operations/jobs/leaver-shredder/runs/no-such-run', { token: operator })).status).toBe(404);
    const instances = (test.app.services.jobs.scheduler as LocalJobScheduler).driver.listInstances().length;
    for (const body of [{ asOf: 'tomorrow' }, { dryRun: 'yes' }, { asOf: '2031-05-02', force: true }]) {
      const response = await test.request('POST', `/operations/jobs/${JOB}/runs`, { token: operator, body });
      expect(response.status).toBe(400);
    }
    expect((test.app.services.jobs.scheduler as LocalJobScheduler).driver.listInstances()).toHaveLength(instances);
  });

  it('reports status, progress and times', async () => {
    const id = await startRun({ asOf: DUE_DAY, dryRun: true });
    const run: JobRunView = await waitForRun(test, JOB, id);
    expect(run).toEqual({
      id,
      job: JOB,
      status: 'completed',
      trigger: 'operator',
      dryRun: true,
      asOf: `${DUE_DAY}T00:00:00.000Z`,
      processed: 0,
      remaining: 1,
      records: 0,
      failures: 0,
      overdue: 0,
      createdAt: DELETED_AT,
      startedAt: DELETED_AT,
      finishedAt: DELETED_AT,
    });
  });
});
