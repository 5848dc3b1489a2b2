import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalJobScheduler } from '../../lib/jobs/local-job-scheduler.js';
import { asDurableClientFunction } from '../../local/invocation.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { ManualClock, waitForRun } from '../usage/usage-fixtures.js';

// 300 ms before the job's daily time: the local host's timer fires during the test.
const clock = new ManualClock('2031-05-02T02:14:59.700Z');
let test: TestApp;

beforeAll(async () => {
  test = await startTestApp({ clock });
});
afterAll(() => test.close());

describe('the local host runs timers on their schedules', () => {
  const scheduledId = 'usage-anonymisation-2031-05-02';

  it('starts the daily usage-anonymisation run at 02:15 UTC on the local durable driver', async () => {
    const driver = (test.app.services.jobs.scheduler as LocalJobScheduler).driver;
    await vi.waitFor(() => expect(driver.getStatus(scheduledId)).toBeDefined(), { timeout: 5_000 });
    const run = await waitForRun(test, 'usage-anonymisation', scheduledId);
    expect(run).toMatchObject({ status: 'completed', trigger: 'schedule', failures: 0, asOf: '2031-05-02T02:14:59.700Z' });
  });

  it('a second start of the same day (a timer firing twice) starts nothing new', async () => {
    const driver = (test.app.services.jobs.scheduler as LocalJobScheduler).driver;
    const instances = driver.listInstances().length;
    expect(await asDurableClientFunction(() => test.app.services.jobs.startRun('usage-anonymisation', {}, 'schedule'))).toBe(scheduledId);
    expect(driver.listInstances()).toHaveLength(instances);
  });
});
