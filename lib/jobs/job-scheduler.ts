/** Where a job run's orchestration stands, as the durable runtime knows it. */
export type OrchestrationState = 'pending' | 'running' | 'completed' | 'failed';

/**
 * Starts and inspects job orchestrations. Azure: the Durable Functions client. Local and
 * tests: the local durable driver, replaying the same orchestrator code.
 */
export interface JobScheduler {
  start(orchestrator: string, input: unknown, instanceId: string): Promise<void>;
  /** Undefined when the runtime knows no such instance (never started, or a restarted local host). */
  state(instanceId: string): Promise<OrchestrationState | undefined>;
}
