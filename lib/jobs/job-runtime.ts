import type { Feature } from '../app/feature.js';
import type { Clock } from '../clock.js';
import type { CosmosHandle } from '../data/cosmos.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import type { JobScheduler } from './job-scheduler.js';

export interface JobRuntimeContext {
  features: readonly Feature[];
  /** Resolves once every service is built: activities reach their work through it. */
  services: () => Promise<Services>;
  clock: Clock;
  logger: Logger;
  /** The app's database: the local driver keeps its task hub there. */
  cosmos: CosmosHandle;
}

/**
 * Where orchestrations run, chosen by the host, not by the configuration: on the Functions
 * host (Azure or `func start`) real Durable Functions; in the local look-alike host and the
 * tests, the local durable driver (lib/jobs/local-jobs.ts).
 */
export type JobRuntime = (context: JobRuntimeContext) => JobScheduler | Promise<JobScheduler>;

/** The Durable Functions client of the invocation in scope: what the Functions host provides. */
export const durableFunctionsRuntime: JobRuntime = async () => {
  const { AzureJobScheduler } = await import('./azure-job-scheduler.js');
  return new AzureJobScheduler();
};
