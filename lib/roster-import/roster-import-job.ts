import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import { activityRetry } from '../jobs/activity-retry.js';
import { ROSTER_IMPORT_ORCHESTRATOR, type AppliedBatch, type PlannedRun, type RosterImportService } from './roster-import-service.js';

/** Function names, shared by the Azure registrations and the local driver. */
export const ROSTER_IMPORT_FUNCTIONS = {
  orchestrator: ROSTER_IMPORT_ORCHESTRATOR,
  plan: 'roster-import-plan',
  apply: 'roster-import-apply',
  finish: 'roster-import-finish',
  fail: 'roster-import-fail',
} as const;

const F = ROSTER_IMPORT_FUNCTIONS;

/** Batches per execution before `continueAsNew` starts a fresh history (each batch is at most 100 writes). */
const BATCHES_PER_EXECUTION = 50;

export interface RosterImportInput {
  municipalityId: string;
  runId: string;
}

/**
 * One import: plan (once; a planned run answers with its progress), then each batch still to
 * apply, one activity per batch, then finish. A step that fails for good fails the run, which
 * keeps its progress: resuming it starts this orchestration again, and it goes on from the
 * first batch not applied. A run that can no longer go on (another import took its lock, its
 * files are gone) stops at once: plan answers no batches, apply answers `stopped`.
 */
const orchestrator: OrchestrationHandler = function* (context) {
  const input = context.df.getInput<RosterImportInput>();
  const target = { municipalityId: input.municipalityId, runId: input.runId };
  try {
    const planned: PlannedRun = yield context.df.callActivityWithRetry(F.plan, activityRetry(), target);
    const end = Math.min(planned.batches, planned.appliedBatches + BATCHES_PER_EXECUTION);
    let stopped = false;
    for (let batch = planned.appliedBatches; batch < end && !stopped; batch += 1) {
      // Null in the history of an instance whose batch was applied before apply answered whether to stop.
      const applied: AppliedBatch | null = yield context.df.callActivityWithRetry(F.apply, activityRetry(), { ...target, batch });
      stopped = applied?.stopped === true;
    }
    if (!stopped && end < planned.batches) {
      context.df.continueAsNew(target);
      return undefined;
    }
    return yield context.df.callActivityWithRetry(F.finish, activityRetry(), target);
  } catch {
    return yield context.df.callActivityWithRetry(F.fail, activityRetry(), target);
  }
};

export const rosterImportOrchestrators: Readonly<Record<string, OrchestrationHandler>> = { [F.orchestrator]: orchestrator };

export function rosterImportActivities(imports: () => Promise<RosterImportService>): Readonly<Record<string, ActivityHandler>> {
  return {
    [F.plan]: async (input) => {
      const { municipalityId, runId } = input as RosterImportInput;
      return (await imports()).plan(municipalityId, runId);
    },
    [F.apply]: async (input) => {
      const { municipalityId, runId, batch } = input as RosterImportInput & { batch: number };
      return (await imports()).apply(municipalityId, runId, batch);
    },
    [F.finish]: async (input) => {
      const { municipalityId, runId } = input as RosterImportInput;
      await (await imports()).finish(municipalityId, runId);
      return null;
    },
    [F.fail]: async (input) => {
      const { municipalityId, runId } = input as RosterImportInput;
      await (await imports()).fail(municipalityId, runId, 'The import stopped after repeated failures of the database or storage; resume it to go on where it stopped');
      return null;
    },
  };
}
