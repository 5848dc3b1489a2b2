import { randomUUID } from 'node:crypto';
import type { ActivityHandler } from 'durable-functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE_ANONYMISATION_FUNCTIONS } from '../../lib/usage/usage-anonymisation-job.js';
import { registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { capturingLogger, containersWith, jobHarness, ManualClock } from '../usage/usage-fixtures.js';

/** A retention job that fails at any step is loud, and overdue work is counted whether or not runs finish. */
const clock = new ManualClock('2031-06-01T12:00:00.000Z');
const app = capturingLogger();
let test: TestApp;

beforeAll(async () => {
  test = await startTestApp({ clock, composition: { logger: app.logger } });
});
afterAll(() => test.close());

const failing = (step: string) => (name: string, handler: ActivityHandler): ActivityHandler =>
  name === step ? async () => Promise.reject(new Error(`injected: ${step} keeps failing`)) : handler;

describe('a retention run that fails in any step', () => {
  for (const step of [USAGE_ANONYMISATION_FUNCTIONS.plan, USAGE_ANONYMISATION_FUNCTIONS.finish]) {
    it(`fault injection (${step} fails on every attempt): the run ends failed, with a RetentionJobFailed signal`, async () => {
      const { logger, lines } = capturingLogger();
      const harness = jobHarness({ config: test.app.config, containers: containersWith(test.app.config), clock, logger, wrapActivity: failing(step) });
      const id = await harness.jobs.startRun('usage-anonymisation', {}, 'operator');
      const status = await harness.driver.waitForCompletion(id, 60_000);
      expect(status.runtimeStatus).toBe('Failed');
      expect(await harness.jobs.getRun('usage-anonymisation', id)).toMatchObject({ status: 'failed', failures: 1 });
      expect(lines.filter((line) => line.event === 'RetentionJobFailed')).toEqual([expect.objectContaining({ jobName: 'usage-anonymisation', runId: id })]);
      expect(lines.filter((line) => line.event === 'RetentionJobCompleted')).toEqual([]);
    });
  }
});

describe('the hourly watch of each job', () => {
  it('counts work past its deadline and signals it, although no run has finished (or even started)', async () => {
    await registerMunicipality(test, '1201');
    const account = randomUUID();
    // Deleted four months ago: past the 3-month deadline, and no run has taken it.
    await test.app.services.usageLedger.recordAccountDeleted('1201', account, new Date('2031-02-01T09:00:00.000Z'));
    const fire = async (timer: string) =>
      expect((await fetch(`${new URL(test.url).origin}/admin/functions/${timer}`, { method: 'POST' })).status).toBe(202);
    await fire('usage-anonymisation-watch');
    expect(app.lines.filter((line) => line.event === 'RetentionJobOverdue')).toEqual([expect.objectContaining({ jobName: 'usage-anonymisation', runId: 'watch', overdue: 1 })]);
    // The other jobs have nothing overdue: a metric of 0, no event.
    await fire('export-expiry-watch');
    await fire('leaver-report-expiry-watch');
    const metrics = app.lines.filter((line) => line.event === 'metric' && line.metric === 'RetentionOverdue');
    expect(metrics.map(({ jobName, value }) => [jobName, value])).toEqual([
      ['usage-anonymisation', 1],
      ['export-expiry', 0],
      ['leaver-report-expiry', 0],
    ]);
    expect(app.lines.filter((line) => line.event === 'RetentionJobOverdue')).toHaveLength(1);
  });
});
