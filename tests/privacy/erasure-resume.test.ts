import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivacyProvider } from '../../lib/privacy/privacy-provider.js';
import { findAnywhere } from '../support/data-scan.js';
import { erasuresSettled } from '../support/erasures.js';
import { ManualClock } from '../support/manual-clock.js';
import { createStaffUser, registerMunicipality, startTestApp, type SeededUser, type TestApp } from '../support/test-app.js';
import { capturingLogger } from '../usage/usage-fixtures.js';

/**
 * The erasure outbox in one process, with faults injected on purpose: an orchestration that
 * could not be started, a provider that keeps failing, the P10 clock. Killed processes are in
 * tests/jobs/crash-resume.test.ts.
 */
const clock = new ManualClock('2026-11-02T08:00:00.000Z');
const { logger, lines } = capturingLogger();
const MUNICIPALITY = '5001';
let test: TestApp;
let dataAdmin: SeededUser;
let school: string;

beforeAll(async () => {
  test = await startTestApp({ clock, composition: { logger } });
  await registerMunicipality(test, MUNICIPALITY);
  const admin = await createStaffUser(test, MUNICIPALITY, ['municipality-admin']);
  dataAdmin = await createStaffUser(test, MUNICIPALITY, ['data-admin']);
  school = (await test.request('POST', `/municipalities/${MUNICIPALITY}/schools`, { token: admin.token, body: { name: 'Lade skole' } })).body.id;
  adminToken = admin.token;
}, 60_000);
afterAll(() => test.close());

let adminToken: string;
const base = `/municipalities/${MUNICIPALITY}`;

async function newStudent(): Promise<string> {
  const response = await test.request('POST', `${base}/students`, {
    token: adminToken,
    body: { givenName: 'Ronja', familyName: 'Gjenopptatt', birthDate: '2012-04-04', schoolId: school, yearLevel: 8 },
  });
  expect(response.status).toBe(201);
  return response.body.id;
}

async function erasureOf(id: string) {
  return (await test.request('GET', `${base}/erasures/${id}`, { token: dataAdmin.token })).body;
}

async function runResumeTimer(): Promise<void> {
  const response = await fetch(`${new URL(test.url).origin}/admin/functions/erasure-resume`, { method: 'POST', body: '{}' });
  expect(response.status).toBe(202);
  await erasuresSettled(test);
}

async function latestErasure(): Promise<{ id: string; status: string; overdue: boolean }> {
  const list = await test.request('GET', `${base}/erasures?limit=1`, { token: dataAdmin.token });
  return list.body.items[0];
}

describe('an accepted erasure is never left half-done', () => {
  it('fault injection (scheduling fails after acceptance): the student is gone at once, and the resume timer starts and completes the erasure', async () => {
    const studentId = await newStudent();
    const runner = test.app.services.erasureRunner;
    const schedule = runner.schedule.bind(runner);
    runner.schedule = () => Promise.reject(new Error('injected: the durable client is unreachable'));
    const refused = await test.request('DELETE', `${base}/students/${studentId}?instructionReference=SAK-R1`, { token: dataAdmin.token });
    runner.schedule = schedule;
    expect(refused.status).toBe(500);
    expect((await test.request('GET', `${base}/students/${studentId}`, { token: dataAdmin.token })).status).toBe(404);
    const accepted = await latestErasure();
    expect(accepted).toMatchObject({ status: 'pending', overdue: false });

    await runResumeTimer();
    expect(await erasureOf(accepted.id)).toMatchObject({ status: 'completed', counts: { subjects: 1, completed: 1 } });
    expect(await findAnywhere(test.app.services, [studentId, 'Gjenopptatt'])).toEqual([]);
    // The repeated instruction finds the completed erasure: nothing new is accepted.
    const repeated = await test.request('DELETE', `${base}/students/${studentId}?instructionReference=SAK-R1`, { token: dataAdmin.token });
    expect(repeated).toMatchObject({ status: 200, body: { id: accepted.id } });
  });

  it('fault injection (a provider keeps failing): the erasure is retried, flagged overdue after 24 h with an ErasureOverdue signal, and completes once the fault is gone', async () => {
    const studentId = await newStudent();
    const records = test.app.services.privacy.all().find((provider) => provider.name === 'records') as PrivacyProvider;
    const erase = records.erase.bind(records);
    records.erase = () => Promise.reject(new Error('injected: records unavailable'));
    try {
      const accepted = await test.request('DELETE', `${base}/students/${studentId}?instructionReference=SAK-R2`, { token: dataAdmin.token });
      expect(accepted.status).toBe(202);
      await erasuresSettled(test);
      expect(await erasureOf(accepted.body.id)).toMatchObject({ status: 'failed', overdue: false });

      clock.advance(23 * 3_600_000);
      await runResumeTimer();
      expect(await erasureOf(accepted.body.id)).toMatchObject({ status: 'failed', overdue: false });
      expect(lines.filter((line) => line.event === 'ErasureOverdue')).toEqual([]);

      clock.advance(2 * 3_600_000);
      await runResumeTimer();
      expect(await erasureOf(accepted.body.id)).toMatchObject({ status: 'failed', overdue: true });
      expect(lines.filter((line) => line.event === 'ErasureOverdue')).toEqual([expect.objectContaining({ erasureId: accepted.body.id, municipalityId: MUNICIPALITY })]);
      expect(lines.filter((line) => line.event === 'metric' && line.metric === 'ErasureBacklog').at(-1)).toMatchObject({ value: 1 });

      records.erase = erase;
      await runResumeTimer();
      expect(await erasureOf(accepted.body.id)).toMatchObject({ status: 'completed', overdue: true });
      await runResumeTimer();
      expect(lines.filter((line) => line.event === 'metric' && line.metric === 'ErasureBacklog').at(-1)).toMatchObject({ value: 0 });
      expect(await findAnywhere(test.app.services, [studentId])).toEqual([]);
    } finally {
      records.erase = erase;
    }
  });

  it('fault injection (a roster import\'s batch stays in flight): the erasure erases nobody and ends unsettled, and the resume timer completes it once the write has landed', async () => {
    const studentId = await newStudent();
    const imports = test.app.services.privacy.all().find((provider) => provider.name === 'roster-import') as PrivacyProvider;
    const writesInFlight = imports.writesInFlight?.bind(imports);
    let asked = 0;
    // Each answer moves the clock on by the minute the erasure waits, so the wait ends at once.
    imports.writesInFlight = async () => {
      asked += 1;
      clock.advance(61_000);
      return true;
    };
    try {
      const accepted = await test.request('DELETE', `${base}/students/${studentId}?instructionReference=SAK-R4`, { token: dataAdmin.token });
      expect(accepted.status).toBe(202);
      await erasuresSettled(test);
      expect(asked).toBeGreaterThan(0);
      expect(await erasureOf(accepted.body.id)).toMatchObject({ status: 'running', counts: { completed: 0, failed: 0 } });
      expect(await findAnywhere(test.app.services, [studentId])).not.toEqual([]);

      imports.writesInFlight = writesInFlight;
      await runResumeTimer();
      expect(await erasureOf(accepted.body.id)).toMatchObject({ status: 'completed', counts: { subjects: 1, completed: 1 } });
      expect(await findAnywhere(test.app.services, [studentId])).toEqual([]);
    } finally {
      imports.writesInFlight = writesInFlight;
    }
  });

  it('P10: the 3 months of a deleted account run from the moment its erasure is accepted, whether or not the erasure has run', async () => {
    const teacher = await createStaffUser(test, MUNICIPALITY, ['teacher'], { schoolIds: [school] });
    await test.request('POST', '/usage/events', { token: teacher.token, body: { events: [{ type: 'feature-use', feature: 'grades', at: clock.now().toISOString() }] } });
    const runner = test.app.services.erasureRunner;
    const schedule = runner.schedule.bind(runner);
    runner.schedule = async () => false;
    const acceptedAt = clock.now().toISOString();
    try {
      const accepted = await test.request('DELETE', `${base}/users/${teacher.id}?instructionReference=SAK-R3`, { token: dataAdmin.token });
      expect(accepted.status).toBe(202);
    } finally {
      runner.schedule = schedule;
    }
    const entry = await test.app.services.usageLedger.findEntry(MUNICIPALITY, teacher.id);
    expect(entry?.deletedAt).toBe(acceptedAt);
    clock.advance(3 * 86_400_000);
    await runResumeTimer();
    // Resumed days later, the clock has not moved.
    expect((await test.app.services.usageLedger.findEntry(MUNICIPALITY, teacher.id))?.deletedAt).toBe(acceptedAt);
    expect((await latestErasure()).status).toBe('completed');
  });

  it('an outbox entry whose acceptance died before the record is dropped after 10 minutes, and nothing is started for it', async () => {
    const orphan = randomUUID();
    await test.app.services.cosmos.containers.jobs.items.create({
      id: orphan,
      pk: 'erasure-outbox',
      type: 'erasure-outbox',
      municipalityId: MUNICIPALITY,
      acceptedAt: clock.now().toISOString(),
      deadline: new Date(clock.now().getTime() + 86_400_000).toISOString(),
    });
    await runResumeTimer();
    expect((await test.app.services.erasures.unfinished()).map((entry) => entry.id)).toContain(orphan);
    clock.advance(11 * 60_000);
    await runResumeTimer();
    expect((await test.app.services.erasures.unfinished()).map((entry) => entry.id)).not.toContain(orphan);
  });
});
