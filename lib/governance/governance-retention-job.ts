import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import { batchedDeletionOrchestrator } from '../jobs/batched-deletion-orchestrator.js';
import { GOVERNANCE_RETENTION_JOB, type GovernanceRetention, type RetentionFinishInput, type RetentionRunInput } from './governance-retention.js';

/** Function names, shared by the Azure registrations and the local driver. */
export const GOVERNANCE_RETENTION_FUNCTIONS = {
  orchestrator: GOVERNANCE_RETENTION_JOB,
  plan: 'governance-retention-plan',
  batch: 'governance-retention-batch',
  finish: 'governance-retention-finish',
} as const;

const F = GOVERNANCE_RETENTION_FUNCTIONS;

const orchestrator = batchedDeletionOrchestrator(F);

export const governanceRetentionOrchestrators: Readonly<Record<string, OrchestrationHandler>> = { [F.orchestrator]: orchestrator };

export function governanceRetentionActivities(retention: () => Promise<GovernanceRetention>): Readonly<Record<string, ActivityHandler>> {
  return {
    [F.plan]: async (input) => (await retention()).plan(input as RetentionRunInput),
    [F.batch]: async (input) => (await retention()).batch(input as RetentionRunInput),
    [F.finish]: async (input) => (await retention()).finish(input as RetentionFinishInput),
  };
}
