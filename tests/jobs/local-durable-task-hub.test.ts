import { randomUUID } from 'node:crypto';
import type { Database } from '@azure/cosmos';
import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { assertSupportedVersion } from '../../lib/jobs/local-durable/engine.js';
import { CosmosTaskHub, createLocalDurableDriver, type LocalDurableDriver } from '../../lib/jobs/local-durable/index.js';
import { scratchDatabase } from '../support/emulator-database.js';

/**
 * The local driver's task hub over the real Cosmos protocol: a driver that stops mid-run
 * (its activity never returns: the process is as good as dead) leaves instances a second
 * driver resumes where they stood. tests/jobs/crash-resume.test.ts kills real processes.
 */
let database: Database;

beforeAll(async () => {
  database = await scratchDatabase('taskhub');
});
afterAll(() => database.delete());

const never = () => new Promise<never>(() => undefined);

/** Three steps in a row, then a fan-out of two children, then one generation of continue-as-new. */
const pipeline: OrchestrationHandler = function* (context) {
  const input = context.df.getInput<{ generation: number; total: number }>();
  let total = input.total;
  for (let step = 1; step <= 3; step++) total += (yield context.df.callActivity('step', step)) as number;
  const children = (yield context.df.Task.all([
    context.df.callSubOrchestrator('child', 10, `${context.df.instanceId}:a:${input.generation}`),
    context.df.callSubOrchestrator('child', 20, `${context.df.instanceId}:b:${input.generation}`),
  ])) as number[];
  total += children.reduce((sum, value) => sum + value, 0);
  if (input.generation === 0) {
    context.df.continueAsNew({ generation: 1, total });
    return undefined;
  }
  return total;
};

const child: OrchestrationHandler = function* (context) {
  return (yield context.df.callActivity('child-step', context.df.getInput<number>())) as number;
};

function driverWith(taskHub: CosmosTaskHub, activities: Record<string, ActivityHandler>): LocalDurableDriver {
  return createLocalDurableDriver({ orchestrators: { pipeline, child }, activities, verifyReplay: true, taskHub });
}

describe('local durable driver with a task hub', () => {
  it('fault injection (an activity that never returns): a second driver resumes the instance where it stood and finishes it', async () => {
    const taskHub = await CosmosTaskHub.open(database);
    const calls: number[] = [];
    const first = driverWith(taskHub, {
      step: async (input) => {
        calls.push(input as number);
        // The process "dies" in the second step of the second generation.
        return calls.length === 5 ? never() : (input as number);
      },
      'child-step': async (input) => input as number,
    });
    const id = first.start('pipeline', { generation: 0, total: 0 }, `pipeline-${randomUUID()}`);
    await vi.waitFor(() => expect(calls).toHaveLength(5), { timeout: 10_000 });
    await first.idle();

    const resumedCalls: number[] = [];
    const second = driverWith(taskHub, {
      step: async (input) => {
        resumedCalls.push(input as number);
        return input as number;
      },
      'child-step': async (input) => input as number,
    });
    expect(await second.resume()).toBe(1);
    const status = await second.waitForCompletion(id, 20_000);
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: 2 * (1 + 2 + 3 + 10 + 20), resumed: 1, executionCount: 2 });
    // Only what had no recorded result is done again: step 2 of the second generation, then step 3.
    expect(resumedCalls).toEqual([2, 3]);
    // Finished: the task hub keeps the outcome, not the input or the history.
    const stored = await taskHub.read(id);
    expect(stored).toMatchObject({ runtimeStatus: 'Completed', outputJson: '72' });
    expect(stored?.execution).toBeUndefined();
    expect(stored?.nextInputJson).toBeUndefined();
    expect(await taskHub.unfinished()).toEqual([]);
  });

  it('fault injection (a child\'s activity never returns): parent and child resume together, the finished child is not run again', async () => {
    const taskHub = await CosmosTaskHub.open(database);
    let childCalls = 0;
    const first = driverWith(taskHub, {
      step: async (input) => input as number,
      'child-step': async (input) => ((childCalls += 1) === 2 ? never() : (input as number)),
    });
    const id = first.start('pipeline', { generation: 1, total: 0 }, `pipeline-${randomUUID()}`);
    await vi.waitFor(() => expect(childCalls).toBe(2), { timeout: 10_000 });
    await vi.waitFor(async () => expect((await taskHub.unfinished()).filter((instance) => instance.name === 'child')).toHaveLength(1), { timeout: 10_000 });
    await first.idle();

    const childInputs: number[] = [];
    const second = driverWith(taskHub, {
      step: async (input) => input as number,
      'child-step': async (input) => {
        childInputs.push(input as number);
        return input as number;
      },
    });
    expect(await second.resume()).toBe(2);
    expect(await second.waitForCompletion(id, 20_000)).toMatchObject({ runtimeStatus: 'Completed', output: 36, resumed: 1 });
    expect(childInputs).toHaveLength(1);
  });

  it('an instance saved before its first episode starts from its input', async () => {
    const taskHub = await CosmosTaskHub.open(database);
    const id = `pending-${randomUUID()}`;
    await taskHub.save({
      instanceId: id,
      name: 'child',
      parentInstanceId: undefined,
      runtimeStatus: 'Pending',
      createdTime: new Date().toISOString(),
      lastUpdatedTime: new Date().toISOString(),
      lastEpisodeTime: undefined,
      executionCount: 0,
      episodeCount: 0,
      resumed: 0,
      outputJson: undefined,
      customStatusJson: undefined,
      error: undefined,
      execution: undefined,
      nextInputJson: '7',
    });
    const driver = driverWith(taskHub, { 'child-step': async (input) => (input as number) * 3 });
    expect(await driver.resume()).toBe(1);
    expect(await driver.waitForCompletion(id)).toMatchObject({ runtimeStatus: 'Completed', output: 21 });
  });
});

describe('the engine loader', () => {
  it('accepts the installed durable-functions and refuses, loudly and by name, a release it was not written for', () => {
    expect(() => assertSupportedVersion('3.5.0')).not.toThrow();
    expect(() => assertSupportedVersion('3.6.0')).toThrow(/durable-functions 3\.6\.0 is installed.*lib\/jobs\/local-durable\/engine\.ts/);
    expect(() => assertSupportedVersion('4.0.0')).toThrow(/widen the range/);
  });
});
