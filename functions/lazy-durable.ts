import { createRequire } from 'node:module';
import functions, { type FunctionHandler, type GenericFunctionOptions, type InvocationContext } from '@azure/functions';
import type * as Durable from 'durable-functions';
import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';

// @azure/functions is a CommonJS bundle whose named exports Node's ESM loader cannot see.
const { app, trigger } = functions;
const require = createRequire(import.meta.url);

type DurableFunctions = typeof Durable;

/**
 * Registers orchestrations and activities with the triggers durable-functions declares, but
 * without loading durable-functions when the app starts: it is ~110 ms of the entry's
 * import time (cold start) and is needed only when a durable function first runs. On first
 * use, the handler is the one durable-functions' public `app.orchestration`/`app.activity`
 * registers, taken from that call; nothing of the package's internals is touched.
 */
export function registerOrchestration(name: string, orchestrator: () => Promise<OrchestrationHandler>): void {
  app.generic(name, {
    trigger: trigger.generic({ type: 'orchestrationTrigger' }),
    handler: lazily(async () => {
      const handler = await orchestrator();
      return (df) => df.app.orchestration(name, handler);
    }),
  });
}

export function registerActivity(name: string, handler: ActivityHandler): void {
  app.generic(name, { trigger: trigger.generic({ type: 'activityTrigger' }), handler: lazily(async () => (df) => df.app.activity(name, { handler })) });
}

/** `registration` resolves (the orchestrator's feature loaded, for one) on the first invocation, as does durable-functions. */
function lazily(registration: () => Promise<(df: DurableFunctions) => void>): FunctionHandler {
  let wrapped: Promise<FunctionHandler> | undefined;
  return async (triggerInput: unknown, context: InvocationContext) => {
    wrapped ??= registration().then(registeredHandler);
    return (await wrapped)(triggerInput, context);
  };
}

/** The handler a durable-functions registration hands to `app.generic`, captured instead of registered twice. */
function registeredHandler(register: (df: DurableFunctions) => void): FunctionHandler {
  const df = require('durable-functions') as DurableFunctions;
  const generic = app.generic;
  let captured: FunctionHandler | undefined;
  app.generic = (_name: string, options: GenericFunctionOptions) => {
    captured = options.handler;
  };
  try {
    register(df);
  } finally {
    app.generic = generic;
  }
  if (!captured) throw new Error('durable-functions registered no handler');
  return captured;
}
