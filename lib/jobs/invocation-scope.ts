import { AsyncLocalStorage } from 'node:async_hooks';
import type { InvocationContext } from '@azure/functions';

const scope = new AsyncLocalStorage<InvocationContext>();

/**
 * The Functions invocation a piece of code runs in. The durable client is an input binding
 * of the invocation, so code below the dispatcher (the Azure job scheduler) reaches it here
 * instead of every handler passing the context down.
 */
export function withInvocation<T>(context: InvocationContext, work: () => T): T {
  return scope.run(context, work);
}

export function currentInvocation(): InvocationContext | undefined {
  return scope.getStore();
}
