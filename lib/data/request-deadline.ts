import { AsyncLocalStorage } from 'node:async_hooks';
import { setMaxListeners } from 'node:events';
import type { PluginConfig } from '@azure/cosmos';

/** A request's Cosmos DB calls did not finish within its budget: answered 503, retry later. */
export class DeadlineExceeded extends Error {
  constructor() {
    super('the database did not answer within the request deadline');
    this.name = 'DeadlineExceeded';
  }
}

interface Scope {
  endsAt: number;
  /** Set once the request's writes must run to the end (an idempotent POST): see `detach`. */
  detached: boolean;
  onDetach?: () => void;
  /** Set once `run` has settled: a call made in the scope after that gets a cut of its own (the shared one may be nearly spent). */
  ended: boolean;
  /** Made by the first call that needs it, shared by the request's later calls: one timer per request, not per call. */
  cut?: Cut;
}

/** What stops a request's calls at its deadline: an abort signal for the HTTP call, a rejection for anything after it. */
interface Cut {
  signal: AbortSignal;
  expired: Promise<never>;
  timer: NodeJS.Timeout;
}

/**
 * Request-path Cosmos DB calls fail fast. Inside `run`, every call is aborted when the
 * request's budget is spent (the SDK would otherwise wait up to a minute per attempt and
 * retry), so a stalled database answers 503 in seconds instead of holding the caller.
 * Work outside a request (jobs, timers) keeps the SDK's own timeouts.
 *
 * An idempotent POST `detach`es once its key is reserved: its calls are no longer cut, so a
 * write the database received is carried to the end and its response recorded under the
 * key, while the caller still gets 503 at the deadline. A retry with the key then gets that
 * first response instead of writing again.
 */
export class RequestDeadlines {
  private readonly scopes = new AsyncLocalStorage<Scope>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  run<T>(budgetMs: number, work: () => Promise<T>): Promise<T> {
    const scope: Scope = { endsAt: this.now() + budgetMs, detached: false, ended: false };
    const running = this.scopes.run(scope, work);
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const end = () => {
        clearTimeout(timer);
        // The cut's timer stays (unref'd, within the budget): a call still running when the request
        // settled (the other half of a Promise.all that rejected) must still be cut at the deadline.
        scope.ended = true;
      };
      running.then(
        (value) => {
          end();
          resolve(value);
        },
        (error: unknown) => {
          end();
          reject(error);
        },
      );
      scope.onDetach = () => {
        timer = setTimeout(() => reject(new DeadlineExceeded()), Math.max(0, scope.endsAt - this.now()));
      };
    });
  }

  /**
   * `work`, or DeadlineExceeded at the current request's deadline if that comes first: for
   * work the request waits for that runs outside its scope, shared with other requests (a
   * grouped audit write), so the plugin cannot cut it. `work` itself goes on for the others.
   * Outside a request, or once detached, `work` as it is.
   */
  within<T>(work: Promise<T>): Promise<T> {
    const scope = this.scopes.getStore();
    if (!scope || scope.detached) return work;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new DeadlineExceeded()), Math.max(0, scope.endsAt - this.now()));
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** From here on the current request's calls run to the end; its caller is answered at the deadline regardless. */
  detach(): void {
    const scope = this.scopes.getStore();
    if (!scope || scope.detached) return;
    scope.detached = true;
    scope.onDetach?.();
  }

  /** The SDK plugin that cuts a request's calls at its deadline; first in the chain so it bounds the others. */
  plugin(): PluginConfig {
    return {
      on: 'request',
      plugin: async (context, diagnosticNode, next) => {
        const scope = this.scopes.getStore();
        if (!scope || scope.detached) return next(context);
        const remaining = scope.endsAt - this.now();
        if (remaining <= 0) throw new DeadlineExceeded();
        const cut = scope.ended ? cutAfter(remaining) : (scope.cut ??= cutAfter(remaining));
        const own = context.options?.abortSignal;
        const signal = own ? AbortSignal.any([own, cut.signal]) : cut.signal;
        const call = next({ ...context, options: { ...context.options, abortSignal: signal } }).catch((error: unknown) => {
          throw cut.signal.aborted ? new DeadlineExceeded() : error;
        });
        // The abort signal stops the HTTP call; the race also stops anything after it that ignores the signal.
        return Promise.race([call, cut.expired]);
      },
    };
  }
}

function cutAfter(ms: number): Cut {
  const controller = new AbortController();
  // Each concurrent call of the request listens to it while it runs (the SDK removes its listener after the call).
  setMaxListeners(0, controller.signal);
  const expired = new Promise<never>((_resolve, reject) => {
    controller.signal.addEventListener('abort', () => reject(new DeadlineExceeded()), { once: true });
  });
  // Raced by every call that uses it; this only keeps a deadline that passes between calls from being reported as unhandled.
  expired.catch(() => undefined);
  const timer = setTimeout(() => controller.abort(), Math.ceil(ms));
  timer.unref();
  return { signal: controller.signal, expired, timer };
}
