import type { ActivityHandler } from 'durable-functions';
import { featureOrchestrators } from '../app/feature.js';
import { invokedActivities } from '../app/function-handlers.js';
import type { JobRuntimeContext } from './job-runtime.js';
import { CosmosTaskHub, createLocalDurableDriver, type LocalDurableDriverOptions, type TaskHub } from './local-durable/index.js';
import { LocalJobScheduler } from './local-job-scheduler.js';

/** Locally, activity payloads must stay far below the 45 KB an Azure Storage queue message allows. */
const LOCAL_ACTIVITY_PAYLOAD_LIMIT_BYTES = 8 * 1024;

export interface LocalSchedulerOptions {
  /** Tests wrap activities to inject faults; everything else runs as registered in Azure. */
  wrapActivity?: (name: string, handler: ActivityHandler) => ActivityHandler;
  driver?: Partial<LocalDurableDriverOptions>;
}

export interface LocalDriverRuntimeOptions extends LocalSchedulerOptions {
  /**
   * Keep instances in a task hub in the app's database and resume the unfinished ones once the
   * services are built, as the extension does after a host restart. Default on.
   */
  persist?: boolean;
}

/**
 * Every feature's orchestrators and activities on the local durable driver, with replay
 * verification on: an orchestrator that is not deterministic fails locally, not in Azure.
 * Activities run inside their own invocation, as on the host (no durable client there).
 */
export function localJobScheduler(
  { features, services, clock, logger }: Omit<JobRuntimeContext, 'cosmos'>,
  options: LocalSchedulerOptions & { taskHub?: TaskHub } = {},
): LocalJobScheduler {
  return new LocalJobScheduler(
    createLocalDurableDriver({
      orchestrators: featureOrchestrators(features),
      activities: invokedActivities(features, services, options.wrapActivity),
      now: () => clock.now(),
      verifyReplay: true,
      activityPayloadLimitBytes: LOCAL_ACTIVITY_PAYLOAD_LIMIT_BYTES,
      ...(options.taskHub ? { taskHub: options.taskHub } : {}),
      // Warnings only (failed attempts, by function name): the engine's step-by-step chatter is noise.
      log: (entry) => {
        if (entry.level === 'warning' || entry.level === 'error') {
          // `detail`, not `message`: the logger redacts fields called message wholesale.
          logger.warn('local-durable', { functionName: entry.functionName, detail: entry.message });
        }
      },
      ...options.driver,
    }),
  );
}

/** The job runtime of the local host and the tests: the local driver, with its task hub in the app's database. */
export function localDriverRuntime(options: LocalDriverRuntimeOptions = {}): (context: JobRuntimeContext) => Promise<LocalJobScheduler> {
  return async (context) => {
    const taskHub = options.persist === false ? undefined : await CosmosTaskHub.open(await databaseOf(context.cosmos));
    const scheduler = localJobScheduler(context, { ...options, ...(taskHub ? { taskHub } : {}) });
    if (taskHub) {
      const { logger } = context;
      void context
        .services()
        .then(() => scheduler.driver.resume())
        .then((resumed) => {
          if (resumed > 0) logger.info('local-durable-resumed', { instances: resumed });
        })
        .catch((error: unknown) => logger.error('local-durable-resume-failed', { error: error instanceof Error ? error.name : 'unknown' }));
    }
    return scheduler;
  };
}

async function databaseOf(cosmos: JobRuntimeContext['cosmos']) {
  const { database } = await cosmos.client.databases.createIfNotExists({ id: cosmos.database.id });
  return database;
}
