import type { AppConfig } from '../config/config.js';
import { runInWorker, type WorkerHeap } from '../jobs/bounded-worker.js';
import type { PlanStepDependencies, PlanStepInput, PlanStepOutcome } from './roster-plan-step.js';
import type { PlanWorkerInput } from './roster-plan-worker.js';

/** Runs a run's plan step (roster-plan-step.ts) somewhere: in a bounded worker thread, or in the app's own. */
export type RosterPlanStep = (input: PlanStepInput) => Promise<PlanStepOutcome>;

/**
 * The plan step in a worker thread with a heap of its own, bounded by `heap`
 * (`ROSTER_LIMITS.planHeap`), as the app runs it. The worker's script sits beside this module:
 * in the source (run by tsx) and in the bundle, where both are in `chunks/`
 * (scripts/bundle-entry.ts checks it).
 */
export function planInWorker(config: AppConfig, heap: WorkerHeap): RosterPlanStep {
  const script = new URL(`./roster-plan-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url);
  return (step) => runInWorker<PlanStepOutcome>(script, { config, step } satisfies PlanWorkerInput, heap);
}

/**
 * The plan step in the app's own thread, through the app's clients: for tests whose faults,
 * injected into the app's Cosmos DB client, must reach the plan's reads.
 */
export function planInAppThread(deps: PlanStepDependencies): RosterPlanStep {
  return async (step) => (await import('./roster-plan-step.js')).planStep(deps, step);
}
