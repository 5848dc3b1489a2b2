import { describe, expect, it } from 'vitest';
import { DeadlineExceeded, RequestDeadlines } from '../../lib/data/request-deadline.js';

type Next = (context: { options?: { abortSignal?: AbortSignal } }) => Promise<unknown>;
type Plugin = (context: { options?: Record<string, unknown> }, diagnostics: unknown, next: Next) => Promise<unknown>;

/** Stands in for the SDK's network call, injected on purpose: it never answers, only its abort signal ends it. */
const neverAnswers: Next = ({ options }) =>
  new Promise((_resolve, reject) => {
    options?.abortSignal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })), { once: true });
  });

describe('request deadlines (a request shares one cut across its database calls)', () => {
  it('cuts a second call that never answers (injected) at the request deadline, after a first call answered', async () => {
    const deadlines = new RequestDeadlines();
    const plugin = deadlines.plugin().plugin as unknown as Plugin;
    const started = performance.now();
    let signal: AbortSignal | undefined;
    const outcome = deadlines.run(300, async () => {
      await plugin({ options: {} }, undefined, async () => 'answered');
      return plugin({ options: {} }, undefined, (context) => {
        signal = context.options?.abortSignal;
        return neverAnswers(context);
      });
    });
    await expect(outcome).rejects.toBeInstanceOf(DeadlineExceeded);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(signal?.aborted).toBe(true);
  });

  it('gives a call made after its request has answered (a straggler that never answers, injected) a deadline of its own', async () => {
    const deadlines = new RequestDeadlines();
    const plugin = deadlines.plugin().plugin as unknown as Plugin;
    let straggler: Promise<unknown> | undefined;
    await deadlines.run(300, async () => {
      await plugin({ options: {} }, undefined, async () => 'answered');
      setTimeout(() => {
        straggler = plugin({ options: {} }, undefined, neverAnswers);
      }, 50);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(straggler).rejects.toBeInstanceOf(DeadlineExceeded);
  });

  it('still cuts a call that was running when its request settled (the other half of a rejected Promise.all, never answering, injected)', async () => {
    const deadlines = new RequestDeadlines();
    const plugin = deadlines.plugin().plugin as unknown as Plugin;
    let running: Promise<unknown> | undefined;
    await expect(
      deadlines.run(300, async () => {
        running = plugin({ options: {} }, undefined, neverAnswers);
        await Promise.all([plugin({ options: {} }, undefined, () => Promise.reject(new Error('not found'))), running]);
      }),
    ).rejects.toThrow('not found');
    await expect(running).rejects.toBeInstanceOf(DeadlineExceeded);
  });
});
