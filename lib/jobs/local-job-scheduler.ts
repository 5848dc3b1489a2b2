import { AsyncResource } from 'node:async_hooks';
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
  /**
   * Runs in the async context the scheduler was made in, not the caller's: an orchestration
   * started from a request must not inherit the request's scopes (its deadline would cut
   * the activities' database calls), just as on the host, where it runs in invocations of its own.
   */
  private readonly outsideCaller = AsyncResource.bind((work: () => void) => work());

  constructor(readonly driver: LocalDurableDriver) {}

  async start(orchestrator: string, input: unknown, instanceId: string): Promise<void> {
    durableClientInvocation();
    this.outsideCaller(() => this.driver.start(orchestrator, input, instanceId));
  }

  async state(instanceId: string): Promise<OrchestrationState | undefined> {
    durableClientInvocation();
    // From the task hub too: after a restart, an instance that finished before it is still known.
    const status = await this.driver.status(instanceId);
    return status && STATES[status.runtimeStatus];
  }
}
