import type { LocalDurableDriver, LocalRuntimeStatus } from './local-durable-driver.js';
import type { JobScheduler, OrchestrationState } from './job-scheduler.js';

const STATES: Record<LocalRuntimeStatus, OrchestrationState> = {
  Pending: 'pending',
  Running: 'running',
  ContinuedAsNew: 'running',
  Completed: 'completed',
  Failed: 'failed',
};

/** Job orchestrations on the local durable driver: the local host and the tests. */
export class LocalJobScheduler implements JobScheduler {
  constructor(readonly driver: LocalDurableDriver) {}

  async start(orchestrator: string, input: unknown, instanceId: string): Promise<void> {
    this.driver.start(orchestrator, input, instanceId);
  }

  async state(instanceId: string): Promise<OrchestrationState | undefined> {
    const status = this.driver.getStatus(instanceId);
    return status && STATES[status.runtimeStatus];
  }
}
