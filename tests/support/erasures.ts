import type { LocalJobScheduler } from '../../lib/jobs/local-job-scheduler.js';
import type { TestApp } from './test-app.js';

const BUSY = new Set(['Pending', 'Running', 'ContinuedAsNew']);

/** Waits until every erasure orchestration the API started has finished on the local durable driver. */
export async function erasuresSettled(test: TestApp, timeoutMs = 30_000): Promise<void> {
  const { driver } = test.app.services.jobs.scheduler as LocalJobScheduler;
  const deadline = Date.now() + timeoutMs;
  while (driver.listInstances().some((instance) => instance.name === 'erasure' && BUSY.has(instance.runtimeStatus))) {
    if (Date.now() > deadline) throw new Error('erasure orchestrations still running');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
