import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import type { ErasureBatchResult, ErasureService } from './erasure-service.js';
import { activityRetry } from '../jobs/activity-retry.js';

/** Function names, shared by the Azure registrations and the local driver. */
export const ERASURE_FUNCTIONS = {
  orchestrator: 'erasure',
  batch: 'erasure-batch',
  finalise: 'erasure-finalise',
} as const;

const F = ERASURE_FUNCTIONS;

/** Batches per execution before `continueAsNew` starts a fresh history. */
const BATCHES_PER_EXECUTION = 25;

export interface ErasureOrchestrationInput {
  municipalityId: string;
  erasureId: string;
  batches?: number;
}

/**
 * One erasure instruction: batches of subjects until none is left to try, then the status
 * (completed only if every subject passed verification). The work list is the tombstoned
 * documents, so a new execution, a replay or a resumed run picks up exactly what is left.
 */
const orchestrator: OrchestrationHandler = function* (context) {
  const input = context.df.getInput<ErasureOrchestrationInput>();
  const target = { municipalityId: input.municipalityId, erasureId: input.erasureId };
  for (let batch = 0; batch < BATCHES_PER_EXECUTION; batch++) {
    let result: ErasureBatchResult;
    try {
      result = yield context.df.callActivityWithRetry(F.batch, activityRetry(), target);
    } catch {
      break;
    }
    if (!result.more || result.erased === 0) {
      return yield context.df.callActivityWithRetry(F.finalise, activityRetry(), target);
    }
  }
  if ((input.batches ?? 0) < 100 * BATCHES_PER_EXECUTION) {
    context.df.continueAsNew({ ...target, batches: (input.batches ?? 0) + BATCHES_PER_EXECUTION });
    return undefined;
  }
  return yield context.df.callActivityWithRetry(F.finalise, activityRetry(), target);
};

export const erasureOrchestrators: Readonly<Record<string, OrchestrationHandler>> = { [F.orchestrator]: orchestrator };

export function erasureActivities(erasures: () => Promise<ErasureService>): Readonly<Record<string, ActivityHandler>> {
  return {
    [F.batch]: async (input) => {
      const { municipalityId, erasureId } = input as ErasureOrchestrationInput;
      return (await erasures()).processBatch(municipalityId, erasureId);
    },
    [F.finalise]: async (input) => {
      const { municipalityId, erasureId } = input as ErasureOrchestrationInput;
      const { status, counts } = await (await erasures()).finalise(municipalityId, erasureId);
      return { status, counts };
    },
  };
}
