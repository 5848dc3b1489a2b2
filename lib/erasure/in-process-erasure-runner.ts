import type { Logger } from '../logger.js';
import type { ErasureRunner, ErasureService } from './erasure-service.js';

/**
 * Runs accepted erasures in this process, one at a time per erasure. Used by the local host
 * and the tests; a crash loses nothing, because the work list is the tombstoned documents
 * and `ErasureService.recover` finishes it.
 */
export class InProcessErasureRunner implements ErasureRunner {
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly erasures: () => ErasureService,
    private readonly logger: Logger,
  ) {}

  async schedule(municipalityId: string, erasureId: string): Promise<void> {
    const previous = this.running.get(erasureId) ?? Promise.resolve();
    const next = previous
      .then(() => this.erasures().process(municipalityId, erasureId))
      .then(
        () => undefined,
        (error: unknown) => this.logger.error('erasure-run-failed', { erasureId, error: error instanceof Error ? error.name : 'unknown' }),
      )
      .finally(() => {
        if (this.running.get(erasureId) === next) this.running.delete(erasureId);
      });
    this.running.set(erasureId, next);
  }

  /** Resolves when every scheduled erasure has run (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }
}
