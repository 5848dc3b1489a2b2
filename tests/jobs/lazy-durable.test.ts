import { createRequire } from 'node:module';
import functions, { InvocationContext } from '@azure/functions';
import type * as DurableFunctions from 'durable-functions';
import type { OrchestrationHandler } from 'durable-functions';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerActivity, registerOrchestration } from '../../functions/lazy-durable.js';
import { durableClientInput } from '../../lib/jobs/invocation-scope.js';

const require = createRequire(import.meta.url);
const df = require('durable-functions') as typeof DurableFunctions;
type Generic = { trigger: { type: string }; handler: (input: unknown, context: InvocationContext) => Promise<unknown> };

function capture(): Map<string, Generic> {
  const registered = new Map<string, Generic>();
  vi.spyOn(functions.app, 'generic').mockImplementation(((name: string, options: Generic) => void registered.set(name, options)) as never);
  return registered;
}

afterEach(() => vi.restoreAllMocks());

describe('durable registrations without loading durable-functions at start (cold start)', () => {
  it('an activity registers with its trigger and runs through the handler durable-functions\' public app.activity makes', async () => {
    const registered = capture();
    const publicActivity = vi.spyOn(df.app, 'activity');
    registerActivity('double', async (input) => (input as number) * 2);
    const activity = registered.get('double');
    expect(activity?.trigger.type).toBe(df.trigger.activity().type);
    expect(publicActivity).not.toHaveBeenCalled();
    expect(await activity?.handler(21, new InvocationContext())).toBe(42);
    expect(await activity?.handler(4, new InvocationContext())).toBe(8);
    expect(publicActivity).toHaveBeenCalledTimes(1);
    // The public call's own registration was taken, not made: only the lazy one is registered.
    expect([...registered.keys()]).toEqual(['double']);
  });

  it('an activity failure still reaches the orchestrator as a failure', async () => {
    const registered = capture();
    registerActivity('fails', async () => {
      throw new Error('boom');
    });
    await expect(registered.get('fails')?.handler(undefined, new InvocationContext())).rejects.toThrow();
  });

  it('an orchestration registers with its trigger, loads its generator on first use and runs through the handler public app.orchestration makes', async () => {
    const registered = capture();
    const orchestrator: OrchestrationHandler = function* (context) {
      return yield context.df.callActivity('double', 21);
    };
    const publicOrchestration = vi.spyOn(df.app, 'orchestration');
    const loadOrchestrator = vi.fn(async () => orchestrator);
    registerOrchestration('example', loadOrchestrator);
    expect(loadOrchestrator).not.toHaveBeenCalled();
    const registration = registered.get('example');
    expect(registration?.trigger.type).toBe(df.trigger.orchestration().type);
    expect(publicOrchestration).not.toHaveBeenCalled();
    // Not a real trigger payload: the engine refuses it, which proves the call reached the engine.
    await expect(registration?.handler({}, new InvocationContext())).rejects.toThrow();
    expect(publicOrchestration).toHaveBeenCalledWith('example', orchestrator);
    // Its feature is loaded once, on the first invocation.
    await expect(registration?.handler({}, new InvocationContext())).rejects.toThrow();
    expect(loadOrchestrator).toHaveBeenCalledTimes(1);
    expect([...registered.keys()]).toEqual(['example']);
  });

  it("production code reaches durable-functions through its public entry only (the local driver's engine loader aside)", async () => {
    const offenders = await filesMentioning(['functions', 'lib'], 'durable-functions/lib');
    expect(offenders).toEqual(['lib/jobs/local-durable/engine.ts']);
  });

  it('the durable client input is the binding durable-functions declares', () => {
    expect(durableClientInput().type).toBe(df.input.durableClient().type);
  });
});

async function filesMentioning(directories: string[], needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const directory of directories) {
    for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const file = join(entry.parentPath, entry.name);
      if ((await readFile(file, 'utf8')).includes(needle)) found.push(file);
    }
  }
  return found.sort();
}
