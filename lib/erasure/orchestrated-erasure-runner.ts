import type { JobScheduler } from '../jobs/job-scheduler.js';
import { ERASURE_FUNCTIONS, type ErasureOrchestrationInput } from './erasure-job.js';
import type { ErasureRunner } from './erasure-service.js';

/**
 * Starts the `erasure` orchestration for an accepted instruction. One instance per
 * erasure and attempt: a resumed erasure gets a new instance, a running one is left alone.
 */
export class OrchestratedErasureRunner implements ErasureRunner {
  constructor(private readonly scheduler: () => JobScheduler) {}

  async schedule(municipalityId: string, erasureId: string): Promise<void> {
    const scheduler = this.scheduler();
    for (let attempt = 1; ; attempt += 1) {
      const instanceId = `erasure-${erasureId}-${attempt}`;
      const state = await scheduler.state(instanceId);
      if (state === 'pending' || state === 'running') return;
      if (state === undefined) {
        const input: ErasureOrchestrationInput = { municipalityId, erasureId };
        await scheduler.start(ERASURE_FUNCTIONS.orchestrator, input, instanceId);
        return;
      }
    }
  }
}
