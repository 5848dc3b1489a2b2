import type { ActivityHandler } from 'durable-functions';
import { featureActivities, featureOrchestrators } from '../app/feature.js';
import type { JobRuntimeContext } from './job-runtime.js';
import { createLocalDurableDriver, type LocalDurableDriverOptions } from './local-durable-driver.js';
import { LocalJobScheduler } from './local-job-scheduler.js';

/** Locally, activity payloads must stay far below the 45 KB an Azure Storage queue message allows. */
export const LOCAL_ACTIVITY_PAYLOAD_LIMIT_BYTES = 8 * 1024;

export interface LocalDriverRuntimeOptions {
  /** Tests wrap activities to inject faults; everything else runs as registered in Azure. */
  wrapActivity?: (name: string, handler: ActivityHandler) => ActivityHandler;
  driver?: Partial<LocalDurableDriverOptions>;
}

/**
 * Every feature's orchestrators and activities on the local durable driver, with replay
 * verification on: an orchestrator that is not deterministic fails locally, not in Azure.
 */
export function localDriverRuntime(options: LocalDriverRuntimeOptions = {}): (context: JobRuntimeContext) => LocalJobScheduler {
  return ({ features, services, clock, logger }) => {
    const wrap = options.wrapActivity ?? ((_name: string, handler: ActivityHandler) => handler);
    const activities = Object.fromEntries(
      Object.entries(featureActivities(features, services)).map(([name, handler]) => [name, wrap(name, handler)]),
    );
    const driver = createLocalDurableDriver({
      orchestrators: featureOrchestrators(features),
      activities,
      now: () => clock.now(),
      verifyReplay: true,
      activityPayloadLimitBytes: LOCAL_ACTIVITY_PAYLOAD_LIMIT_BYTES,
      // Warnings only (failed attempts, by function name): the engine's step-by-step chatter is noise.
      log: (entry) => {
        if (entry.level === 'warning' || entry.level === 'error') {
          // `detail`, not `message`: the logger redacts fields called message wholesale.
          logger.warn('local-durable', { functionName: entry.functionName, detail: entry.message });
        }
      },
      ...options.driver,
    });
    return new LocalJobScheduler(driver);
  };
}
