import type { DurableClient } from 'durable-functions';
import { currentInvocation } from './invocation-scope.js';
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
 * Job orchestrations through the Durable Functions client of the current invocation (the
 * HTTP job routes and the timers declare the durable client input binding).
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
  const context = currentInvocation();
  if (!context) throw new Error('No Functions invocation in scope: the durable client binding is only available inside one');
  const df = await import('durable-functions');
  return df.getClient(context);
}
