import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import { EXPORT_EXPIRY_JOB, type ExpiryFinishInput, type ExpiryRunInput, type ExportExpiry } from './export-expiry.js';
import { batchedDeletionOrchestrator } from '../jobs/batched-deletion-orchestrator.js';

/** Function names, shared by the Azure registrations and the local driver. */
export const EXPORT_EXPIRY_FUNCTIONS = {
  orchestrator: EXPORT_EXPIRY_JOB,
  plan: 'export-expiry-plan',
  batch: 'export-expiry-batch',
  finish: 'export-expiry-finish',
} as const;

const F = EXPORT_EXPIRY_FUNCTIONS;

const orchestrator = batchedDeletionOrchestrator(F);

export const exportExpiryOrchestrators: Readonly<Record<string, OrchestrationHandler>> = {
  [F.orchestrator]: orchestrator,
};

/** Activity handlers over an expiry resolved per call (the Functions host builds services lazily). */
export function exportExpiryActivities(expiry: () => Promise<ExportExpiry>): Readonly<Record<string, ActivityHandler>> {
  return {
    [F.plan]: async (input) => (await expiry()).plan(input as ExpiryRunInput),
    [F.batch]: async (input) => (await expiry()).batch(input as ExpiryRunInput),
    [F.finish]: async (input) => (await expiry()).finish(input as ExpiryFinishInput),
  };
}
