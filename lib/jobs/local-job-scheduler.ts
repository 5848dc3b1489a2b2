import type { LocalDurableDriver, LocalRuntimeStatus } from './local-durable/index.js';
import { durableClientInvocation } from './invocation-scope.js';
import type { JobScheduler, OrchestrationState } from './job-scheduler.js';

const STATES: Record<LocalRuntimeStatus, OrchestrationState> = {
  Pending: 'pending',
  Running: 'running',
  ContinuedAsNew: 'running',
  Completed: 'completed',
  Failed: 'failed',
};

/**
 * Orchestrations on the local durable driver: the local host and the tests. Like the
 * durable client, it works only inside an invocation whose function declares the binding.
 */
export class LocalJobScheduler implements JobScheduler {
  constructor(readonly driver: LocalDurableDriver) {}

  async start(orchestrator: string, input: unknown, instanceId: string): Promise<void> {
    durableClientInvocation();
    this.driver.start(orchestrator, input, instanceId);
  }

  async state(instanceId: string): Promise<OrchestrationState | undefined> {
    durableClientInvocation();
    // From the task hub too: after a restart, an instance that finished before it is still known.
    const status = await this.driver.status(instanceId);
    return status && STATES[status.runtimeStatus];
  }
}
