import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import type { ErasureBatchResult, ErasureService } from './erasure-service.js';
import { activityRetry } from '../jobs/activity-retry.js';

/** Function names, shared by the Azure registrations and the local driver. */
export const ERASURE_FUNCTIONS = {
  orchestrator: 'erasure',
  sweep: 'erasure-name-sweep',
  batch: 'erasure-batch',
  finalise: 'erasure-finalise',
} as const;

const F = ERASURE_FUNCTIONS;

/** Activities (sweep pages or batches) per execution before `continueAsNew` starts a fresh history. */
const STEPS_PER_EXECUTION = 25;
/** Executions that erase subjects or fail before the erasure is settled as it stands (and left to the resume timer). */
const MAX_WORKING_EXECUTIONS = 100;

export interface ErasureOrchestrationInput {
  municipalityId: string;
  erasureId: string;
  /** Executions so far that erased subjects or failed a step. */
  batches?: number;
  /** The name sweep is through (its progress itself is on the erasure record). */
  swept?: boolean;
}

/**
 * One erasure instruction: first the name sweep, page by page, over the municipality's free
 * text (mentions replaced, then counted again); then batches of subjects until none is left
 * to try; then the status (completed only if every subject passed verification and no
 * mention was left). The work list is the tombstoned documents and the sweep's position is on
 * the record, so a new execution, a replay or a resumed run picks up exactly what is left.
 * The sweep goes first because it is what needs the names, and the names leave with the record's completion.
 */
const orchestrator: OrchestrationHandler = function* (context) {
  const input = context.df.getInput<ErasureOrchestrationInput>();
  const target = { municipalityId: input.municipalityId, erasureId: input.erasureId };
  let sweeping = !(input.swept ?? false);
  let working = false;
  for (let step = 0; step < STEPS_PER_EXECUTION; step++) {
    if (sweeping) {
      try {
        const page: { more: boolean } = yield context.df.callActivityWithRetry(F.sweep, activityRetry(), target);
        sweeping = page.more;
      } catch {
        working = true;
        break;
      }
      continue;
    }
    working = true;
    let result: ErasureBatchResult;
    try {
      result = yield context.df.callActivityWithRetry(F.batch, activityRetry(), target);
    } catch {
      break;
    }
    // Ends here unsettled: the resume timer starts it again, by when the write will have landed.
    if (result.waiting) return undefined;
    if (!result.more || result.erased === 0) {
      return yield context.df.callActivityWithRetry(F.finalise, activityRetry(), target);
    }
  }
  const executions = (input.batches ?? 0) + (working ? 1 : 0);
  if (executions < MAX_WORKING_EXECUTIONS) {
    context.df.continueAsNew({ ...target, batches: executions, swept: !sweeping });
    return undefined;
  }
  return yield context.df.callActivityWithRetry(F.finalise, activityRetry(), target);
};

export const erasureOrchestrators: Readonly<Record<string, OrchestrationHandler>> = { [F.orchestrator]: orchestrator };

export function erasureActivities(erasures: () => Promise<ErasureService>): Readonly<Record<string, ActivityHandler>> {
  return {
    [F.sweep]: async (input) => {
      const { municipalityId, erasureId } = input as ErasureOrchestrationInput;
      return (await erasures()).sweepNames(municipalityId, erasureId);
    },
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
