import { describe, it, expect, vi, afterEach } from 'vitest';
import * as df from 'durable-functions';
import type { InvocationContext } from '@azure/functions';
import {
  createLocalDurableDriver,
  type LocalDurableDriverOptions,
  type LocalHistoryEvent,
} from '../../lib/jobs/local-durable/index.js';

const T0 = '2031-05-06T07:08:09.000Z';

function fixedClock(iso: string): () => Date {
  const time = Date.parse(iso);
  return () => new Date(time);
}

/** Every driver in these tests re-verifies replay unless a test says otherwise. */
function driverWith(options: Partial<LocalDurableDriverOptions>) {
  return createLocalDurableDriver({ orchestrators: {}, activities: {}, verifyReplay: true, ...options });
}

function eventsOf(history: readonly LocalHistoryEvent[], eventType: string): LocalHistoryEvent[] {
  return history.filter((event) => event.eventType === eventType);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

const double = async (input: number): Promise<number> => input * 2;
const addOne = async (input: number): Promise<number> => input + 1;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('local durable driver: sequences', () => {
  it('runs activities in sequence through the replay engine and records a DTFx-shaped history', async () => {
    const seen: unknown[] = [];
    const greet = async (name: string, context: InvocationContext): Promise<string> => {
      seen.push(name);
      expect(context.functionName).toBe('greet');
      return `hello ${name}`;
    };
    const sequence: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const start = context.df.getInput<number>();
      const a: number = yield context.df.callActivity('double', start);
      const b: number = yield context.df.callActivity('addOne', a);
      const c: number = yield context.df.callActivity('double', b);
      const greeting: string = yield context.df.callActivity('greet', 'ada');
      return { values: [a, b, c], greeting };
    };
    const driver = driverWith({ orchestrators: { sequence }, activities: { double, addOne, greet } });

    const id = driver.start('sequence', 5);
    expect(driver.getStatus(id)?.runtimeStatus).toBe('Pending');
    const status = await driver.waitForCompletion(id, 5_000);

    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ values: [10, 11, 22], greeting: 'hello ada' });
    expect(status.input).toBe(5);
    // String inputs are JSON-encoded by the package; the activity must still receive the plain string.
    expect(seen).toEqual(['ada']);
    const history = driver.getHistory(id);
    expect(history.slice(0, 2).map((event) => event.eventType)).toEqual(['OrchestratorStarted', 'ExecutionStarted']);
    expect(history.at(-1)?.eventType).toBe('ExecutionCompleted');
    expect(eventsOf(history, 'TaskScheduled').map((event) => [event.eventId, event.details['Name']])).toEqual([
      [0, 'double'],
      [1, 'addOne'],
      [2, 'double'],
      [3, 'greet'],
    ]);
    expect(eventsOf(history, 'TaskCompleted').map((event) => event.details['TaskScheduledId'])).toEqual([0, 1, 2, 3]);
    expect(eventsOf(history, 'OrchestratorStarted')).toHaveLength(5);
    expect(status.historyLength).toBe(history.length);
    expect(status.episodeCount).toBe(5);
  });

  it('re-includes an already scheduled task in Task.all without renumbering it', async () => {
    const reuse: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const first = context.df.callActivity('double', 1);
      const alone: number = yield first;
      const second = context.df.callActivity('double', 2);
      const both: number[] = yield context.df.Task.all([first, second]);
      const third: number = yield context.df.callActivity('addOne', 10);
      return [alone, both, third];
    };
    const driver = driverWith({ orchestrators: { reuse }, activities: { double, addOne } });

    const status = await driver.waitForCompletion(driver.start('reuse'), 5_000);

    expect(status.error).toBeUndefined();
    expect(status.output).toEqual([2, [2, 4], 11]);
    expect(eventsOf(driver.getHistory(status.instanceId), 'TaskScheduled').map((event) => event.eventId)).toEqual([0, 1, 2]);
  });

  it('rejects unknown orchestrators and times out waiting on an instance that never finishes', async () => {
    const waiter: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const approval: unknown = yield context.df.waitForExternalEvent('approval');
      return approval;
    };
    const driver = driverWith({ orchestrators: { waiter } });

    expect(() => driver.start('nope')).toThrow(/Unknown orchestrator 'nope'/);
    const id = driver.start('waiter');
    await expect(driver.waitForCompletion(id, 50)).rejects.toThrow(/Timed out after 50 ms/);
    expect(driver.getStatus(id)?.runtimeStatus).toBe('Running');

    driver.raiseEvent(id, 'approval', { approved: true });
    const status = await driver.waitForCompletion(id, 5_000);
    expect(status.output).toEqual({ approved: true });
    expect(eventsOf(driver.getHistory(id), 'EventRaised')).toHaveLength(1);
  });
});

describe('local durable driver: fan-out/fan-in', () => {
  it('runs 50 activities under Task.all concurrently, capped, and keeps payloads visible', async () => {
    let active = 0;
    let peak = 0;
    const inputs: number[] = [];
    const square = async (input: number): Promise<number> => {
      inputs.push(input);
      active += 1;
      peak = Math.max(peak, active);
      await sleep(2);
      active -= 1;
      return input * input;
    };
    const fanOut: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const tasks = Array.from({ length: 50 }, (_, index) => context.df.callActivity('square', index));
      const squares: number[] = yield context.df.Task.all(tasks);
      return squares.reduce((sum, value) => sum + value, 0);
    };
    const driver = driverWith({ orchestrators: { fanOut }, activities: { square }, maxConcurrentActivities: 8 });

    const status = await driver.waitForCompletion(driver.start('fanOut'), 10_000);

    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(40_425);
    expect([...inputs].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, index) => index));
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(8);
    const scheduled = eventsOf(driver.getHistory(status.instanceId), 'TaskScheduled');
    expect(scheduled.map((event) => event.eventId)).toEqual(Array.from({ length: 50 }, (_, index) => index));
    expect(status.payload.activityCalls).toBe(50);
    expect(status.payload.maxActivityInputBytes).toBe(2);
    expect(status.payload.maxActivityOutputBytes).toBe(4);
    expect(status.payload.maxActivityOutputName).toBe('square');
  });

  it('measures the largest serialized activity payload and can enforce a limit', async () => {
    const echo = async (input: { text: string }): Promise<{ length: number }> => ({ length: input.text.length });
    const big: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const small: unknown = yield context.df.callActivity('echo', { text: 'x' });
      const large: unknown = yield context.df.callActivity('echo', { text: 'é'.repeat(1_000) });
      return [small, large];
    };
    const measured = driverWith({ orchestrators: { big }, activities: { echo } });
    const status = await measured.waitForCompletion(measured.start('big'), 5_000);

    const largestInput = Buffer.byteLength(JSON.stringify({ text: 'é'.repeat(1_000) }));
    expect(status.payload.maxActivityInputBytes).toBe(largestInput);
    expect(status.payload.maxActivityInputBytes).toBeLessThan(45 * 1024);

    const limited = driverWith({ orchestrators: { big }, activities: { echo }, activityPayloadLimitBytes: 500 });
    const failed = await limited.waitForCompletion(limited.start('big'), 5_000);
    expect(failed.runtimeStatus).toBe('Failed');
    expect(failed.error).toContain(`input is ${largestInput} bytes, over the 500 byte limit`);
  });
});

describe('local durable driver: continueAsNew', () => {
  it('carries a cursor across three generations, each with a fresh history', async () => {
    const cursors: number[] = [];
    const fetchPage = async (cursor: number) => {
      cursors.push(cursor);
      return { items: [cursor * 10, cursor * 10 + 1], next: cursor < 2 ? cursor + 1 : null };
    };
    interface PagingState {
      readonly cursor: number;
      readonly total: number;
      readonly generation: number;
    }
    const pager: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const state = context.df.getInput<PagingState>();
      const page: { items: number[]; next: number | null } = yield context.df.callActivity('fetchPage', state.cursor);
      const total = state.total + page.items.reduce((sum, item) => sum + item, 0);
      if (page.next !== null) {
        context.df.continueAsNew({ cursor: page.next, total, generation: state.generation + 1 });
        return undefined;
      }
      return { total, generations: state.generation };
    };
    const driver = driverWith({ orchestrators: { pager }, activities: { fetchPage } });

    const status = await driver.waitForCompletion(driver.start('pager', { cursor: 0, total: 0, generation: 1 }), 5_000);

    expect(status.runtimeStatus).toBe('Completed');
    expect(cursors).toEqual([0, 1, 2]);
    expect(status.output).toEqual({ total: 0 + 1 + 10 + 11 + 20 + 21, generations: 3 });
    expect(status.executionCount).toBe(3);
    expect(status.input).toEqual({ cursor: 2, total: 22, generation: 3 });
    const history = driver.getHistory(status.instanceId);
    expect(eventsOf(history, 'ExecutionStarted')).toHaveLength(1);
    expect(eventsOf(history, 'ExecutionStarted')[0]?.details['Input']).toBe(JSON.stringify(status.input));
    expect(eventsOf(history, 'TaskScheduled').map((event) => event.eventId)).toEqual([0]);
  });
});

describe('local durable driver: retries', () => {
  it('re-runs a failing activity under callActivityWithRetry with durable retry timers', async () => {
    let calls = 0;
    const flaky = async (input: string): Promise<string> => {
      calls += 1;
      if (calls < 3) throw new Error(`transient failure ${calls}`);
      return `${input} ok after ${calls}`;
    };
    const retrying: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const options = new df.RetryOptions(1_000, 3);
      options.backoffCoefficient = 2;
      const result: string = yield context.df.callActivityWithRetry('flaky', options, 'sync');
      const after: number = yield context.df.callActivity('double', 21);
      return { result, after, at: context.df.currentUtcDateTime.toISOString() };
    };
    const driver = driverWith({ orchestrators: { retrying }, activities: { flaky, double }, now: fixedClock(T0) });

    const status = await driver.waitForCompletion(driver.start('retrying'), 5_000);

    expect(status.error).toBeUndefined();
    expect(calls).toBe(3);
    const history = driver.getHistory(status.instanceId);
    expect(eventsOf(history, 'TaskScheduled').map((event) => [event.eventId, event.details['Name']])).toEqual([
      [0, 'flaky'],
      [2, 'flaky'],
      [4, 'flaky'],
      [5, 'double'],
    ]);
    expect(eventsOf(history, 'TaskFailed').map((event) => event.details['TaskScheduledId'])).toEqual([0, 2]);
    const timers = eventsOf(history, 'TimerCreated');
    expect(timers.map((event) => event.eventId)).toEqual([1, 3]);
    // First retry 1 s after the failure, the second 2 s after the next one (backoff 2), in orchestration time.
    const t0 = Date.parse(T0);
    expect(timers.map((event) => (event.details['FireAt'] as Date).getTime() - t0)).toEqual([1_000, 3_000]);
    expect(eventsOf(history, 'TimerFired').map((event) => event.details['TimerId'])).toEqual([1, 3]);
    expect(status.output).toEqual({ result: 'sync ok after 3', after: 42, at: new Date(t0 + 3_000).toISOString() });
  });

  it('gives up after maxNumberOfAttempts and fails the orchestration with the activity error', async () => {
    let calls = 0;
    const broken = async (): Promise<never> => {
      calls += 1;
      throw new Error('always broken');
    };
    const giveUp: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      yield context.df.callActivityWithRetry('broken', new df.RetryOptions(10, 2));
      return 'unreachable';
    };
    const driver = driverWith({ orchestrators: { giveUp }, activities: { broken } });

    const status = await driver.waitForCompletion(driver.start('giveUp'), 5_000);

    expect(calls).toBe(2);
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.error).toContain("Activity function 'broken' failed: always broken");
    expect(eventsOf(driver.getHistory(status.instanceId), 'TimerFired')).toHaveLength(2);
  });

  it('keeps task ids aligned when retries interleave with a fan-out', async () => {
    const failedOnce = new Set<number>();
    const flakyDouble = async (input: number): Promise<number> => {
      if (!failedOnce.has(input)) {
        failedOnce.add(input);
        throw new Error(`first try of ${input} fails`);
      }
      return input * 2;
    };
    const mixed: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const retry = new df.RetryOptions(5, 3);
      const tasks = [1, 2, 3, 4, 5].map((value) =>
        value % 2 === 0 ? context.df.callActivityWithRetry('flakyDouble', retry, value) : context.df.callActivity('double', value),
      );
      const doubled: number[] = yield context.df.Task.all(tasks);
      const last: number = yield context.df.callActivity('addOne', doubled.reduce((sum, value) => sum + value, 0));
      return last;
    };
    const driver = driverWith({ orchestrators: { mixed }, activities: { double, addOne, flakyDouble } });

    const status = await driver.waitForCompletion(driver.start('mixed'), 5_000);

    expect(status.error).toBeUndefined();
    expect(status.output).toBe(31);
  });
});

describe('local durable driver: task numbering', () => {
  it('numbers a retry step before a task yielded in the same episode', async () => {
    let quickFinished: () => void = () => undefined;
    const quickDone = new Promise<void>((resolve) => {
      quickFinished = resolve;
    });
    let flakyCalls = 0;
    const quick = async (): Promise<string> => {
      quickFinished();
      return 'quick';
    };
    // Fails right after 'quick' completes, so both results reach the orchestrator in one episode.
    const flakyAfterQuick = async (): Promise<string> => {
      flakyCalls += 1;
      if (flakyCalls > 1) return 'recovered';
      await quickDone;
      await Promise.resolve();
      throw new Error('first attempt fails after quick');
    };
    const racing: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const quickTask = context.df.callActivity('quick');
      const retried = context.df.callActivityWithRetry('flakyAfterQuick', new df.RetryOptions(5, 2));
      yield context.df.Task.any([quickTask, retried]);
      const next: number = yield context.df.callActivity('addOne', 1);
      const recovered: string = yield retried;
      return [quickTask.result, next, recovered];
    };
    const driver = driverWith({ orchestrators: { racing }, activities: { quick, flakyAfterQuick, addOne } });

    const status = await driver.waitForCompletion(driver.start('racing'), 5_000);

    expect(status.error).toBeUndefined();
    expect(status.output).toEqual(['quick', 2, 'recovered']);
    const history = driver.getHistory(status.instanceId);
    const episodeOf = (event: LocalHistoryEvent | undefined): number =>
      history.slice(0, event ? history.indexOf(event) : 0).filter((candidate) => candidate.eventType === 'OrchestratorStarted').length;
    const [quickCompleted] = eventsOf(history, 'TaskCompleted');
    const [firstFailure] = eventsOf(history, 'TaskFailed');
    expect(episodeOf(quickCompleted)).toBe(episodeOf(firstFailure));
    expect(eventsOf(history, 'TimerCreated').map((event) => event.eventId)).toEqual([2]);
    expect(eventsOf(history, 'TaskScheduled').map((event) => [event.eventId, event.details['Name']])).toEqual([
      [0, 'quick'],
      [1, 'flakyAfterQuick'],
      [3, 'addOne'],
      [4, 'flakyAfterQuick'],
    ]);
  });
});

describe('local durable driver: failures', () => {
  it('marks an orchestrator that throws as Failed with its message and last custom status', async () => {
    const exploding: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      yield context.df.callActivity('double', 1);
      context.df.setCustomStatus({ stage: 'about to explode' });
      throw new Error('orchestrator exploded');
    };
    const driver = driverWith({ orchestrators: { exploding }, activities: { double } });

    const status = await driver.waitForCompletion(driver.start('exploding'), 5_000);

    expect(status.runtimeStatus).toBe('Failed');
    expect(status.error).toBe('orchestrator exploded');
    expect(status.customStatus).toEqual({ stage: 'about to explode' });
    expect(driver.getHistory(status.instanceId).at(-1)?.details['OrchestrationStatus']).toBe('Failed');
  });

  it('surfaces an uncaught activity error and an unknown activity as orchestration failures', async () => {
    const boom = async (): Promise<never> => {
      throw new Error('kaboom');
    };
    const callsBoom: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      yield context.df.callActivity('boom');
    };
    const callsMissing: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      try {
        yield context.df.callActivity('missing');
      } catch (error) {
        return error instanceof Error ? error.message : 'not an error';
      }
      return 'no error';
    };
    const driver = driverWith({ orchestrators: { callsBoom, callsMissing }, activities: { boom } });

    const boomStatus = await driver.waitForCompletion(driver.start('callsBoom'), 5_000);
    expect(boomStatus.runtimeStatus).toBe('Failed');
    expect(boomStatus.error).toContain("Activity function 'boom' failed: kaboom");

    const missingStatus = await driver.waitForCompletion(driver.start('callsMissing'), 5_000);
    expect(missingStatus.runtimeStatus).toBe('Completed');
    expect(missingStatus.output).toContain("The function 'missing' doesn't exist");
  });
});

describe('local durable driver: time', () => {
  it('makes currentUtcDateTime equal the injected clock via OrchestratorStarted timestamps', async () => {
    const clock = fixedClock(T0);
    const clocked: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const before = context.df.currentUtcDateTime.toISOString();
      yield context.df.callActivity('double', 1);
      return [before, context.df.currentUtcDateTime.toISOString()];
    };
    const driver = driverWith({ orchestrators: { clocked }, activities: { double }, now: clock });

    const status = await driver.waitForCompletion(driver.start('clocked'), 5_000);

    expect(status.output).toEqual([T0, T0]);
    expect(status.createdTime.toISOString()).toBe(T0);
  });

  it('gives each episode the clock time at which it ran', async () => {
    let ticks = 0;
    const clock = () => new Date(Date.parse(T0) + 60_000 * ticks++);
    const stepping: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const seen = [context.df.currentUtcDateTime.toISOString()];
      yield context.df.callActivity('double', 1);
      seen.push(context.df.currentUtcDateTime.toISOString());
      yield context.df.callActivity('double', 2);
      seen.push(context.df.currentUtcDateTime.toISOString());
      return seen;
    };
    const driver = driverWith({ orchestrators: { stepping }, activities: { double }, now: clock });

    const status = await driver.waitForCompletion(driver.start('stepping'), 5_000);

    const episodeTimes = eventsOf(driver.getHistory(status.instanceId), 'OrchestratorStarted').map((event) => event.timestamp.toISOString());
    expect(episodeTimes).toHaveLength(3);
    expect(new Set(episodeTimes).size).toBe(3);
    expect(status.output).toEqual(episodeTimes);
    expect(episodeTimes.every((time) => time.startsWith('2031-05-06'))).toBe(true);
  });

  it('fires a durable timer and advances orchestration time to its fire time', async () => {
    const napping: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const fireAt = new Date(context.df.currentUtcDateTime.getTime() + 60 * 60 * 1_000);
      yield context.df.createTimer(fireAt);
      return { fireAt: fireAt.toISOString(), now: context.df.currentUtcDateTime.toISOString() };
    };
    const driver = driverWith({ orchestrators: { napping }, now: fixedClock(T0) });

    const status = await driver.waitForCompletion(driver.start('napping'), 5_000);

    const oneHourLater = new Date(Date.parse(T0) + 3_600_000).toISOString();
    expect(status.output).toEqual({ fireAt: oneHourLater, now: oneHourLater });
    const history = driver.getHistory(status.instanceId);
    const [created] = eventsOf(history, 'TimerCreated');
    const [fired] = eventsOf(history, 'TimerFired');
    expect((created?.details['FireAt'] as Date).toISOString()).toBe(oneHourLater);
    expect(fired?.details['TimerId']).toBe(created?.eventId);
  });

  it('waits for real when maxTimerDelayMs allows it', async () => {
    const shortNap: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 80));
      return 'woke';
    };
    const driver = driverWith({ orchestrators: { shortNap }, maxTimerDelayMs: 1_000 });

    const started = performance.now();
    const status = await driver.waitForCompletion(driver.start('shortNap'), 5_000);

    expect(status.output).toBe('woke');
    expect(performance.now() - started).toBeGreaterThanOrEqual(60);
  });
});

describe('local durable driver: sub-orchestrations and custom status', () => {
  it('runs a sub-orchestration as its own instance and returns its output to the parent', async () => {
    const child: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const doubled: number = yield context.df.callActivity('double', context.df.getInput<number>());
      if (doubled > 100) throw new Error('child refuses big numbers');
      return { doubled, parent: context.df.parentInstanceId };
    };
    const parent: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const small: { doubled: number } = yield context.df.callSubOrchestrator('child', 4);
      let refused = '';
      try {
        yield context.df.callSubOrchestrator('child', 400, 'fixed-child-id');
      } catch (error) {
        refused = error instanceof Error ? error.message : 'not an error';
      }
      return { small, refused };
    };
    const driver = driverWith({ orchestrators: { parent, child }, activities: { double } });

    const id = driver.start('parent', undefined, 'parent-1');
    const status = await driver.waitForCompletion(id, 5_000);

    expect(status.error).toBeUndefined();
    expect(status.output).toMatchObject({ small: { doubled: 8, parent: 'parent-1' } });
    expect((status.output as { refused: string }).refused).toContain('child refuses big numbers');
    expect(driver.getStatus('fixed-child-id')).toMatchObject({ runtimeStatus: 'Failed', parentInstanceId: 'parent-1' });
    expect(driver.getStatus('parent-1:1:0')).toMatchObject({ runtimeStatus: 'Completed', output: { doubled: 8, parent: 'parent-1' } });
  });

  it('retries a failed sub-orchestration under callSubOrchestratorWithRetry as a new child instance', async () => {
    let calls = 0;
    const failsOnce = async (): Promise<string> => {
      calls += 1;
      if (calls === 1) throw new Error('first child run fails');
      return 'child ok';
    };
    const shakyChild: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const result: string = yield context.df.callActivity('failsOnce');
      return result;
    };
    const retryingParent: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const result: string = yield context.df.callSubOrchestratorWithRetry('shakyChild', new df.RetryOptions(5, 3));
      return result;
    };
    const driver = driverWith({ orchestrators: { retryingParent, shakyChild }, activities: { failsOnce } });

    const status = await driver.waitForCompletion(driver.start('retryingParent', undefined, 'p'), 5_000);

    expect(status.output).toBe('child ok');
    expect(driver.getStatus('p:1:0')?.runtimeStatus).toBe('Failed');
    expect(driver.getStatus('p:1:2')?.runtimeStatus).toBe('Completed');
    const history = driver.getHistory('p');
    expect(eventsOf(history, 'SubOrchestrationInstanceFailed').map((event) => event.details['TaskScheduledId'])).toEqual([0]);
    expect(eventsOf(history, 'SubOrchestrationInstanceCompleted').map((event) => event.details['TaskScheduledId'])).toEqual([2]);
  });

  it('exposes setCustomStatus while the orchestration is running', async () => {
    const gate = deferred();
    const waitAtGate = async (): Promise<string> => {
      await gate.promise;
      return 'through';
    };
    const gated: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      context.df.setCustomStatus({ stage: 'waiting at gate' });
      const passed: string = yield context.df.callActivity('waitAtGate');
      context.df.setCustomStatus({ stage: 'done' });
      return passed;
    };
    const driver = driverWith({ orchestrators: { gated }, activities: { waitAtGate } });

    const id = driver.start('gated');
    await vi.waitFor(() => expect(driver.getStatus(id)?.customStatus).toEqual({ stage: 'waiting at gate' }));
    expect(driver.getStatus(id)?.runtimeStatus).toBe('Running');
    gate.resolve();
    const status = await driver.waitForCompletion(id, 5_000);

    expect(status.output).toBe('through');
    expect(status.customStatus).toEqual({ stage: 'done' });
  });
});

describe('local durable driver: determinism', () => {
  const pickA = async (): Promise<string> => 'A';
  const pickB = async (): Promise<string> => 'B';

  it('fails an orchestrator whose replay schedules different activities (Math.random)', async () => {
    const chaotic: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const picks: string[] = [];
      for (let step = 0; step < 12; step++) {
        picks.push(yield context.df.callActivity(Math.random() < 0.5 ? 'pickA' : 'pickB'));
      }
      return picks;
    };
    const driver = driverWith({ orchestrators: { chaotic }, activities: { pickA, pickB }, verifyReplay: false });

    const status = await driver.waitForCompletion(driver.start('chaotic'), 5_000);

    expect(status.runtimeStatus).toBe('Failed');
    expect(status.error).toMatch(/Non-deterministic orchestration detected: action #\d+ was 'activity:pick[AB]'/);
  });

  it('verifyReplay catches non-determinism that only shows on the final replay', async () => {
    // Episode 1 and 2 draw the same name, so no replay during the run diverges; the verification replay does.
    const draws = () => {
      const script = [0.1, 0.1, 0.9];
      vi.spyOn(Math, 'random').mockImplementation(() => script.shift() ?? 0.5);
    };
    const sneaky: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      const picked: string = yield context.df.callActivity(Math.random() < 0.5 ? 'pickA' : 'pickB');
      return picked;
    };

    draws();
    const unverified = driverWith({ orchestrators: { sneaky }, activities: { pickA, pickB }, verifyReplay: false });
    const passed = await unverified.waitForCompletion(unverified.start('sneaky'), 5_000);
    expect(passed.runtimeStatus).toBe('Completed');
    expect(passed.output).toBe('A');

    draws();
    const verified = driverWith({ orchestrators: { sneaky }, activities: { pickA, pickB }, verifyReplay: true });
    const caught = await verified.waitForCompletion(verified.start('sneaky'), 5_000);
    expect(caught.runtimeStatus).toBe('Failed');
    expect(caught.error).toContain('detected by verifyReplay');
    expect(caught.error).toContain("'activity:pickA input=undefined retry=undefined' but the replay produced 'activity:pickB");
  });

  it('verifyReplay catches an output computed from the wall clock', async () => {
    let wall = 1_000;
    vi.spyOn(Date, 'now').mockImplementation(() => wall++);
    const wallClock: df.OrchestrationHandler = function* (context: df.OrchestrationContext) {
      yield context.df.callActivity('double', 1);
      return { stamp: Date.now() };
    };
    const driver = driverWith({ orchestrators: { wallClock }, activities: { double }, now: fixedClock(T0) });

    const status = await driver.waitForCompletion(driver.start('wallClock'), 5_000);

    expect(status.runtimeStatus).toBe('Failed');
    expect(status.error).toMatch(/detected by verifyReplay: the replay returned \{"stamp":\d+\} instead of \{"stamp":\d+\}/);
  });
});
