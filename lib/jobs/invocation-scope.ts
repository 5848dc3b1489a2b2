import { AsyncLocalStorage } from 'node:async_hooks';
import functions, { type FunctionInput, type InvocationContext } from '@azure/functions';

// @azure/functions is a CommonJS bundle whose named exports Node's ESM loader cannot see.
const { input } = functions;

const scope = new AsyncLocalStorage<InvocationContext>();

/**
 * The Functions invocation a piece of code runs in. The durable client is an input binding
 * of the invocation, so code below the dispatcher (the job schedulers) reaches it here
 * instead of every handler passing the context down. Both hosts run every function inside.
 */
export function withInvocation<T>(context: InvocationContext, work: () => T): T {
  return scope.run(context, work);
}

function currentInvocation(): InvocationContext | undefined {
  return scope.getStore();
}

/** The binding durable-functions' `input.durableClient()` declares. */
export function durableClientInput(): FunctionInput {
  return input.generic({ type: 'durableClient' });
}

export function isDurableClientInput(declared: { type: string }): boolean {
  return declared.type === 'durableClient' || declared.type === 'orchestrationClient';
}

class DurableClientUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurableClientUnavailable';
  }
}

/**
 * The invocation whose durable client may start or read orchestrations, refused exactly as
 * the Functions host refuses it: outside an invocation there is no client, and inside one
 * only if its function declared the `durableClient` input (durable-functions' `getClient`
 * throws the same message). The local scheduler calls this too, so a function that lacks
 * the binding fails in the local suite as it would in Azure.
 */
export function durableClientInvocation(): InvocationContext {
  const context = currentInvocation();
  if (!context) throw new DurableClientUnavailable('No Functions invocation in scope: the durable client binding is only available inside one');
  if (!context.options.extraInputs.some(isDurableClientInput)) {
    throw new DurableClientUnavailable(
      `Could not find a registered durable client input binding. Check your extraInputs definition when registering your function. (function '${context.functionName}')`,
    );
  }
  return context;
}
