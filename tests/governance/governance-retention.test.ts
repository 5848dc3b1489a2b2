import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureTimers } from '../../lib/app/feature.js';
import { FEATURES } from '../../lib/features.js';
import { ManualClock } from '../support/manual-clock.js';
import { createStaffUser, registerMunicipality, startTestApp, type SeededUser, type TestApp } from '../support/test-app.js';
import { capturingLogger, waitForRun } from '../usage/usage-fixtures.js';

const JOB = 'governance-retention';
const clock = new ManualClock('2027-01-10T09:00:00.000Z');
const captured = capturingLogger();
let test: TestApp;
let operator: string;
let teacher: SeededUser;

beforeAll(async () => {
  test = await startTestApp({ clock, composition: { logger: captured.logger } });
  operator = await test.operatorToken();
  await registerMunicipality(test, '0301');
  teacher = await createStaffUser(test, '0301', ['teacher']);
});
afterAll(() => test.close());

async function openThread(subject: string): Promise<string> {
  const response = await test.request('POST', '/support-requests', { token: teacher.token, body: { subject, message: 'Hei.' } });
  expect(response.status).toBe(201);
  return response.body.id;
}

async function complaint(): Promise<string> {
  const received = await test.request('POST', '/complaints', { body: { name: 'Klager Klagesen', contact: 'klager@example.test', text: 'En klage.', municipalityId: '0301' } });
  expect(received.status).toBe(201);
  return received.body.id;
}

async function moveComplaint(id: string, status: 'contacted' | 'resolved'): Promise<void> {
  const current = await test.request('GET', `/complaints/${id}`, { token: operator });
  const moved = await test.request('PATCH', `/complaints/${id}`, { token: operator, body: { status }, headers: { 'if-match': current.headers.get('etag') as string } });
  expect(moved.status).toBe(200);
}

async function runJob(): Promise<{ processed: number; status: string }> {
  const started = await test.request('POST', `/operations/jobs/${JOB}/runs`, { token: operator, body: {} });
  expect(started.status, started.text).toBe(202);
  return waitForRun(test, JOB, started.body.id) as unknown as Promise<{ processed: number; status: string }>;
}

const threadStatus = async (id: string) => (await test.request('GET', `/support-requests/${id}`, { token: teacher.token })).status;
const complaintStatus = async (id: string) => (await test.request('GET', `/complaints/${id}`, { token: operator })).status;
const overdue = () => test.app.services.governance.retention.countOverdue(clock.now());

describe('support threads and complaints are kept for their retention, then deleted by the governance-retention job', () => {
  let quiet: string;
  let revived: string;
  let resolved: string;
  let open: string;

  beforeAll(async () => {
    quiet = await openThread('Innlogging');
    revived = await openThread('Utskrift');
    resolved = await complaint();
    open = await complaint();
    await moveComplaint(open, 'contacted');
    await moveComplaint(resolved, 'contacted');
    // Resolved three weeks after receipt: the 3 years run from here.
    clock.set('2027-02-01T09:00:00.000Z');
    await moveComplaint(resolved, 'resolved');
    clock.set('2027-06-01T09:00:00.000Z');
    expect((await test.request('POST', `/support-requests/${revived}/messages`, { token: teacher.token, body: { text: 'Fortsatt et problem.' } })).status).toBe(201);
  });

  it('is a declared job with its daily timer and hourly overdue watch', () => {
    const names = featureTimers(FEATURES).map((timer) => timer.name);
    expect(names).toEqual(expect.arrayContaining([`${JOB}-timer`, `${JOB}-watch`]));
  });

  it('keeps everything a day before a thread is 12 months past its last message', async () => {
    clock.set('2028-01-09T09:00:00.000Z');
    expect(await overdue()).toBe(0);
    const run = await runJob();
    expect(run).toMatchObject({ status: 'completed', processed: 0 });
    expect(await threadStatus(quiet)).toBe(200);
  });

  it('counts a thread still stored a day after it was due as overdue, and the run deletes it with its reference', async () => {
    clock.set('2028-01-11T12:00:00.000Z');
    expect(await overdue()).toBe(1);
    // The hourly watch says so whether or not a run comes: the signal the overdue alert reads.
    expect((await fetch(`${new URL(test.url).origin}/admin/functions/${JOB}-watch`, { method: 'POST' })).status).toBe(202);
    expect(captured.lines.filter((line) => line.event === 'RetentionJobOverdue')).toEqual([expect.objectContaining({ jobName: JOB, runId: 'watch', overdue: 1 })]);
    const run = await runJob();
    expect(run).toMatchObject({ status: 'completed', processed: 1 });
    expect(await threadStatus(quiet)).toBe(404);
    const mine = await test.request('GET', '/support-requests', { token: teacher.token });
    expect(mine.body.items.map((item: { id: string }) => item.id)).toEqual([revived]);
    expect(await threadStatus(revived)).toBe(200);
    expect(await complaintStatus(resolved)).toBe(200);
    expect(await overdue()).toBe(0);
  });

  it('deletes a complaint 3 years after it was resolved, never an open one', async () => {
    clock.set('2030-01-31T09:00:00.000Z');
    await runJob();
    expect(await complaintStatus(resolved)).toBe(200);
    expect(await threadStatus(revived)).toBe(404);
    clock.set('2030-02-02T12:00:00.000Z');
    expect(await overdue()).toBe(1);
    expect(await runJob()).toMatchObject({ status: 'completed', processed: 1 });
    expect(await complaintStatus(resolved)).toBe(404);
    expect(await complaintStatus(open)).toBe(200);
    expect(await overdue()).toBe(0);
  });
});
