import { randomUUID } from 'node:crypto';
import functions, { type FunctionInput, type InvocationContext } from '@azure/functions';
import { durableClientInput, withInvocation } from '../lib/jobs/invocation-scope.js';

// @azure/functions is a CommonJS bundle whose named exports Node's ESM loader cannot see.
const { InvocationContext: Context } = functions;

/** The context the host gives an invocation of a function: its name, trigger and declared bindings. */
export function invocationContextFor(fn: { name: string; extraInputs: readonly FunctionInput[] }, trigger: { type: string }): InvocationContext {
  return new Context({
    invocationId: randomUUID(),
    functionName: fn.name,
    options: { trigger: { name: 'trigger', ...trigger }, extraInputs: [...fn.extraInputs], extraOutputs: [] },
  });
}

/**
 * Runs `work` as a function that declares the durable client input would run it: how a
 * test or bench calls the job scheduler directly (the local scheduler refuses outside such
 * a scope, as the real durable client does).
 */
export function asDurableClientFunction<T>(work: () => T, functionName = 'direct-call'): T {
  return withInvocation(invocationContextFor({ name: functionName, extraInputs: [durableClientInput()] }, { type: 'direct' }), work);
}
