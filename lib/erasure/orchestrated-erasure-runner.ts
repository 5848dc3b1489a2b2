import type { JobScheduler } from '../jobs/job-scheduler.js';
import { ERASURE_FUNCTIONS, type ErasureOrchestrationInput } from './erasure-job.js';
import type { ErasureRunner } from './erasure-service.js';

/** One orchestration instance per erasure: its id is derived from the erasure's, so a second start finds the first. */
export function erasureInstanceId(erasureId: string): string {
  return `erasure-${erasureId}`;
}

/**
 * Starts the `erasure` orchestration for an accepted instruction, unless one is pending or
 * running. A finished instance (failed, or completed while the record still says otherwise)
 * is started again under the same id, which the durable client allows for finished ones.
 */
export class OrchestratedErasureRunner implements ErasureRunner {
  constructor(private readonly scheduler: JobScheduler) {}

  async schedule(municipalityId: string, erasureId: string): Promise<boolean> {
    const { scheduler } = this;
    const instanceId = erasureInstanceId(erasureId);
    const state = await scheduler.state(instanceId);
    if (state === 'pending' || state === 'running') return false;
    const input: ErasureOrchestrationInput = { municipalityId, erasureId };
    await scheduler.start(ERASURE_FUNCTIONS.orchestrator, input, instanceId);
    return true;
  }
}
