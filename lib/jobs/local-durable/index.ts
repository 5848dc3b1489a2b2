export { createLocalDurableDriver } from './driver.js';
export type {
  LocalDurableDriver,
  LocalDurableDriverOptions,
  LocalDurableLogEntry,
  LocalHistoryEvent,
  LocalOrchestrationStatus,
  LocalPayloadStats,
  LocalRuntimeStatus,
  StartNewOptions,
} from './driver.js';
export { CosmosTaskHub, type TaskHub } from './task-hub.js';
