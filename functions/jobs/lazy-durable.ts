import { createRequire } from 'node:module';
import functions, { type FunctionInput, type InvocationContext } from '@azure/functions';
import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';

// @azure/functions is a CommonJS bundle whose named exports Node's ESM loader cannot see.
const { app, trigger, input } = functions;
const require = createRequire(import.meta.url);

type Invoke = (triggerInput: unknown, context: InvocationContext) => Promise<unknown>;

/**
 * The registrations `df.app.orchestration`, `df.app.activity` and `df.input.durableClient`
 * make, without loading durable-functions when the app starts: it is ~110 ms of the
 * entry's import time (cold start) and is needed only when a durable function first runs.
 * The handlers are wrapped exactly as durable-functions wraps them (its `createOrchestrator`
 * and `wrapActivityHandler`), on first use.
 */
export function durableClientInput(): FunctionInput {
  return input.generic({ type: 'durableClient' });
}

export function registerOrchestration(name: string, handler: OrchestrationHandler): void {
  let wrapped: Invoke | undefined;
  app.generic(name, {
    trigger: trigger.generic({ type: 'orchestrationTrigger' }),
    handler: (triggerInput, context) => {
      wrapped ??= (require('durable-functions/lib/src/util/testingUtils') as { createOrchestrator(fn: OrchestrationHandler): Invoke }).createOrchestrator(handler);
      return wrapped(triggerInput, context);
    },
  });
}

export function registerActivity(name: string, handler: ActivityHandler): void {
  let wrapped: Invoke | undefined;
  app.generic(name, {
    trigger: trigger.generic({ type: 'activityTrigger' }),
    handler: (triggerInput, context) => {
      wrapped ??= (require('durable-functions') as { app: { wrapActivityHandler(fn: ActivityHandler): Invoke } }).app.wrapActivityHandler(handler);
      return wrapped(triggerInput, context);
    },
  });
}
