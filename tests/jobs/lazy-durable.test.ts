import { createRequire } from 'node:module';
import functions, { InvocationContext } from '@azure/functions';
import type { OrchestrationHandler } from 'durable-functions';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { durableClientInput, registerActivity, registerOrchestration } from '../../functions/jobs/lazy-durable.js';

const require = createRequire(import.meta.url);
type Generic = { trigger: { type: string }; handler: (input: unknown, context: InvocationContext) => Promise<unknown> };

function capture(): Map<string, Generic> {
  const registered = new Map<string, Generic>();
  vi.spyOn(functions.app, 'generic').mockImplementation(((name: string, options: Generic) => void registered.set(name, options)) as never);
  return registered;
}

afterEach(() => vi.restoreAllMocks());

describe('durable registrations without loading durable-functions at start (cold start)', () => {
  it('an activity registers with its trigger and runs through durable-functions\' own activity wrapper', async () => {
    const registered = capture();
    registerActivity('double', async (input) => (input as number) * 2);
    const activity = registered.get('double');
    expect(activity?.trigger.type).toBe('activityTrigger');
    expect(await activity?.handler(21, new InvocationContext())).toBe(42);
    expect(registered.size).toBe(1);
  });

  it('an activity failure still reaches the orchestrator as a failure', async () => {
    const registered = capture();
    registerActivity('fails', async () => {
      throw new Error('boom');
    });
    await expect(registered.get('fails')?.handler(undefined, new InvocationContext())).rejects.toThrow();
  });

  it("an orchestration registers with its trigger and is wrapped by the package's createOrchestrator on first use", async () => {
    const registered = capture();
    const testingUtils = require('durable-functions/lib/src/util/testingUtils') as { createOrchestrator: (fn: OrchestrationHandler) => unknown };
    const invoke = vi.fn(async () => 'engine-result');
    const create = vi.spyOn(testingUtils, 'createOrchestrator').mockImplementation(() => invoke);
    const orchestrator: OrchestrationHandler = function* (context) {
      return yield context.df.callActivity('double', 21);
    };
    registerOrchestration('example', orchestrator);
    const registration = registered.get('example');
    expect(registration?.trigger.type).toBe('orchestrationTrigger');
    expect(create).not.toHaveBeenCalled();
    const context = new InvocationContext();
    expect(await registration?.handler('trigger', context)).toBe('engine-result');
    await registration?.handler('again', context);
    expect(create).toHaveBeenCalledTimes(1);
    expect(create).toHaveBeenCalledWith(orchestrator);
    expect(invoke).toHaveBeenCalledWith('trigger', context);
  });

  it('the durable client input is the binding durable-functions declares', () => {
    expect(durableClientInput().type).toBe('durableClient');
  });
});
