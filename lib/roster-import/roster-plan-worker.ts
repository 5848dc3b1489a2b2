// The worker thread of a roster import's plan step (roster-plan-host.ts): its clients built from
// the app's configuration by the same factories as the composition root's, so the directory's
// pages are parsed, and the plan's garbage collected, within the worker's bounded heap.
import { managedIdentity } from '../azure-credential.js';
import type { AppConfig } from '../config/config.js';
import { createCosmosHandle } from '../data/cosmos.js';
import { operationCounterFor } from '../data/operation-counter.js';
import { RequestDeadlines } from '../data/request-deadline.js';
import { serveTask } from '../jobs/bounded-worker.js';
import { createBlobService, createUploadBlobService } from '../storage/blob.js';
import { planStep, type PlanStepInput } from './roster-plan-step.js';
import { rosterBlobs } from './roster-uploads.js';

/** What the app hands the worker. */
export interface PlanWorkerInput {
  config: AppConfig;
  step: PlanStepInput;
}

serveTask(async ({ config, step }: PlanWorkerInput) => {
  const credential = await managedIdentity(config);
  const operations = operationCounterFor(config.mode);
  const cosmos = createCosmosHandle(config, operations, credential, new RequestDeadlines());
  const blob = createBlobService(config, credential);
  try {
    return await planStep({ directory: cosmos.containers.directory, uploadBlobs: rosterBlobs(createUploadBlobService(config, credential, blob)), batchBlobs: rosterBlobs(blob), operations, digestKey: config.privacyDigestKey }, step);
  } finally {
    cosmos.client.dispose();
  }
});
