import type { Logger } from '../logger.js';

/**
 * Work a request starts but does not wait for (fanning a mailing out to every user).
 * Everything started here is also resumable by the scheduled job, so work lost when a
 * host stops mid-way is finished by the next run. `idle` resolves once all of it has
 * finished (tests wait on it to observe the result).
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  start(task: string, work: () => Promise<unknown>): void {
    const run = work().then(
      () => undefined,
      (error: unknown) => {
        this.logger.error('background-task-failed', { task, error: error instanceof Error ? error.name : typeof error });
      },
    );
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
