import type { DurableClient } from 'durable-functions';
import { durableClientInvocation } from './invocation-scope.js';
import type { JobScheduler, OrchestrationState } from './job-scheduler.js';

const STATES: Record<string, OrchestrationState> = {
  Pending: 'pending',
  Running: 'running',
  ContinuedAsNew: 'running',
  Suspended: 'running',
  Completed: 'completed',
  Failed: 'failed',
  Terminated: 'failed',
  Canceled: 'failed',
};

/**
 * Orchestrations through the Durable Functions client of the current invocation: every
 * function whose services reach the scheduler declares the durable client input binding
 * (lib/app/function-registrations.ts).
 */
export class AzureJobScheduler implements JobScheduler {
  async start(orchestrator: string, input: unknown, instanceId: string): Promise<void> {
    await (await durableClient()).startNew(orchestrator, { instanceId, input });
  }

  async state(instanceId: string): Promise<OrchestrationState | undefined> {
    try {
      const status = await (await durableClient()).getStatus(instanceId);
      return STATES[status.runtimeStatus];
    } catch (error) {
      // The extension answers 404 for an instance it does not know.
      if (error instanceof Error && error.message.includes('HTTP 404')) return undefined;
      throw error;
    }
  }
}

async function durableClient(): Promise<DurableClient> {
  const context = durableClientInvocation();
  const df = await import('durable-functions');
  return df.getClient(context);
}
