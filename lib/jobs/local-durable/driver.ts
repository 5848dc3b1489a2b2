/**
 * Local Durable Functions driver.
 *
 * There is no Functions host (and so no Durable Task extension) on developer machines or in CI, yet the
 * orchestrators must run for real. This driver plays the extension's part: it writes the same kind of
 * history the extension would (OrchestratorStarted, ExecutionStarted, TaskScheduled, TaskCompleted, ...),
 * hands it to durable-functions' own replay engine (./engine.ts), reads the actions the engine returns,
 * executes them and appends their results, episode after episode, until the engine reports the
 * orchestration done. With a task hub (./task-hub.ts) every episode is saved before its work is sent, as
 * the extension commits an episode before it dispatches messages: a process that dies anywhere leaves
 * instances a new process resumes (`resume`), redoing only the work whose result was not yet recorded.
 *
 * The engine matches results to tasks by sequence number only, so the one contract that matters is that
 * the ids the driver writes equal the ids the engine assigns. The engine numbers tasks in the order it
 * tracks them: the actions it emits, plus one hidden task per retry step (`RetryableTask` tracks a timer
 * after each failed attempt and a fresh attempt after each timer). The driver therefore delivers
 * retry-step events first in every episode (they never resume user code, so their ids come before those
 * of any newly yielded task) and numbers the new actions after them.
 */
import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import type { LogHandler, LogLevel } from '@azure/functions';
import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import { scrubText } from '../../telemetry/scrubber.js';
import {
  flattenActions,
  loadEngine,
  readEngineState,
  readOrchestrationFailure,
  type DriverAction,
  type EngineState,
  type RetryPolicy,
} from './engine.js';
import { describeRecord, engineEvent, executionCompletedRecord, historyRecord, type HistoryRecord, type LocalHistoryEvent } from './history.js';
import type { LocalRuntimeStatus, PendingTask, StoredDecision, StoredExecution, StoredInstance, TaskHub, WorkItem } from './task-hub.js';

export type { LocalHistoryEvent } from './history.js';
export type { LocalRuntimeStatus } from './task-hub.js';

export interface LocalDurableLogEntry {
  readonly level: LogLevel;
  readonly message: string;
  readonly instanceId?: string | undefined;
  readonly functionName?: string | undefined;
}

export interface LocalDurableDriverOptions {
  /** Orchestrator generator functions by name: the same handlers given to `df.app.orchestration`. */
  readonly orchestrators: Readonly<Record<string, OrchestrationHandler>>;
  /** Activity handlers by name: the same handlers given to `df.app.activity(name, { handler })`. */
  readonly activities: Readonly<Record<string, ActivityHandler>>;
  /** Clock for OrchestratorStarted timestamps (so for `context.df.currentUtcDateTime`) and status times. */
  readonly now?: () => Date;
  readonly log?: (entry: LocalDurableLogEntry) => void;
  /** Activities running at once across all instances (fan-out cap). Default 16. */
  readonly maxConcurrentActivities?: number;
  /**
   * Longest real wait for a durable timer, in ms. Default 0: timers fire at once while orchestration time
   * still jumps to their fire time, so a 3-day timer is observable without waiting 3 days.
   */
  readonly maxTimerDelayMs?: number;
  /** After each execution, replay it once more over its final history and fail it if the result differs. */
  readonly verifyReplay?: boolean;
  /** Fail any activity whose serialized input or output exceeds this many bytes. */
  readonly activityPayloadLimitBytes?: number;
  /** Runaway guard: episodes per execution. Default 10 000. */
  readonly maxEpisodesPerExecution?: number;
  /** Runaway guard: executions per instance (continueAsNew generations). Default 1 000. */
  readonly maxExecutions?: number;
  /** Where instances are kept so that a new process can resume them; without one they live in memory only. */
  readonly taskHub?: TaskHub;
}

export interface LocalPayloadStats {
  readonly activityCalls: number;
  readonly maxActivityInputBytes: number;
  readonly maxActivityInputName: string | undefined;
  readonly maxActivityOutputBytes: number;
  readonly maxActivityOutputName: string | undefined;
}

export interface LocalOrchestrationStatus {
  readonly instanceId: string;
  readonly name: string;
  readonly runtimeStatus: LocalRuntimeStatus;
  readonly input: unknown;
  readonly output: unknown;
  readonly customStatus: unknown;
  /** The orchestrator's error message when runtimeStatus is 'Failed'. */
  readonly error: string | undefined;
  readonly createdTime: Date;
  readonly lastUpdatedTime: Date;
  /** Events in the current execution's history (continueAsNew starts a fresh one). */
  readonly historyLength: number;
  readonly executionCount: number;
  readonly episodeCount: number;
  /** Times a process resumed this instance from the task hub. */
  readonly resumed: number;
  readonly parentInstanceId: string | undefined;
  /** Largest serialized activity payloads of this instance, across all its executions (this process only). */
  readonly payload: LocalPayloadStats;
}

export interface StartNewOptions {
  readonly input?: unknown;
  readonly instanceId?: string;
}

export interface LocalDurableDriver {
  /** Schedules a new instance and returns its id at once; the orchestration then runs asynchronously. */
  start(name: string, input?: unknown, instanceId?: string): string;
  /** `DurableClient.startNew` shaped alias of `start`, for code written against the client. */
  startNew(name: string, options?: StartNewOptions): Promise<string>;
  /** The instance as this process knows it. */
  getStatus(instanceId: string): LocalOrchestrationStatus | undefined;
  /** The instance as this process or, failing that, the task hub knows it. */
  status(instanceId: string): Promise<LocalOrchestrationStatus | undefined>;
  listInstances(): LocalOrchestrationStatus[];
  getHistory(instanceId: string): LocalHistoryEvent[];
  /** Resolves once the instance is Completed or Failed; rejects after timeoutMs (default 30 s). */
  waitForCompletion(instanceId: string, timeoutMs?: number): Promise<LocalOrchestrationStatus>;
  /** Delivers an external event for `context.df.waitForExternalEvent(eventName)`. */
  raiseEvent(instanceId: string, eventName: string, eventData?: unknown): void;
  /** Picks up every unfinished instance of the task hub where it stood; resolves with how many. */
  resume(): Promise<number>;
  /** Settles once every instance that is running in this process has saved its last checkpoint. */
  idle(): Promise<void>;
}

export function createLocalDurableDriver(options: LocalDurableDriverOptions): LocalDurableDriver {
  return new Driver(options);
}

// ---------------------------------------------------------------------------------------------------------
// Driver state

/** Delay before retry number `failures`, as the Durable Task Framework's RetryInterceptor computes it. */
function retryDelayMs(policy: RetryPolicy, failures: number): number {
  const backoff = policy.backoffCoefficient !== undefined && policy.backoffCoefficient > 0 ? policy.backoffCoefficient : 1;
  const delay = policy.firstRetryIntervalInMilliseconds * backoff ** (failures - 1);
  const cap = policy.maxRetryIntervalInMilliseconds;
  return cap !== undefined && cap > 0 ? Math.min(delay, cap) : delay;
}

interface ActionSignature {
  /** What the extension compares on replay: action type and target. */
  readonly short: string;
  /** Everything that was decided, for verifyReplay: inputs and fire times too. */
  readonly full: string;
}

function signatureOf(action: DriverAction): ActionSignature {
  switch (action.kind) {
    case 'activity': {
      const short = `${action.retry ? 'activityWithRetry' : 'activity'}:${action.name}`;
      return { short, full: `${short} input=${toJson(action.input)} retry=${toJson(action.retry)}` };
    }
    case 'subOrchestration': {
      const short = `subOrchestration:${action.name}`;
      return { short, full: `${short} input=${toJson(action.input)} instanceId=${action.instanceId}` };
    }
    case 'timer':
      return { short: 'timer', full: `timer fireAt=${action.fireAt.toISOString()}` };
    case 'continueAsNew':
      return { short: 'continueAsNew', full: `continueAsNew input=${toJson(action.input)}` };
    case 'waitForEvent':
      return { short: `waitForEvent:${action.name}`, full: `waitForEvent:${action.name}` };
    case 'unsupported':
      return { short: `unsupported:${action.typeName}`, full: `unsupported:${action.typeName}` };
  }
}

type Outcome = { readonly ok: true; readonly resultJson: string } | { readonly ok: false; readonly reason: string; readonly details: string };

type Inbound =
  | { readonly kind: 'executionStarted' }
  | { readonly kind: 'workDone'; readonly taskId: number; readonly work: WorkItem; readonly outcome: Outcome }
  | { readonly kind: 'timerFired'; readonly taskId: number; readonly fireAt: Date; readonly retryOf: WorkItem | undefined }
  | { readonly kind: 'eventRaised'; readonly name: string; readonly inputJson: string | undefined };

/** A retry step decided while delivering an event; written to history after the orchestrator has run. */
type RetryStep =
  | { readonly kind: 'retryTimer'; readonly taskId: number; readonly fireAt: Date; readonly failed: WorkItem }
  | { readonly kind: 'retryAttempt'; readonly taskId: number; readonly work: WorkItem };

interface Decision {
  readonly signature: ActionSignature;
  readonly action: DriverAction;
  readonly taskId: number | undefined;
}

interface Execution {
  readonly index: number;
  readonly inputJson: string | undefined;
  readonly history: HistoryRecord[];
  readonly decisions: Decision[];
  readonly inbox: Inbox<Inbound>;
  /** Scheduled tasks whose result is not delivered yet, by task id: what they are, and how to stop a timer. */
  readonly outstanding: Map<number, { readonly task: PendingTask; readonly cancel: () => void }>;
  nextTaskId: number;
  episodes: number;
  closed: boolean;
}

interface InstanceRecord {
  readonly instanceId: string;
  readonly name: string;
  readonly parentInstanceId: string | undefined;
  readonly createdTime: Date;
  readonly settled: Promise<void>;
  readonly settle: () => void;
  readonly earlyEvents: Inbound[];
  runtimeStatus: LocalRuntimeStatus;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  error: string | undefined;
  lastUpdatedTime: Date;
  lastEpisodeTime: Date | undefined;
  execution: Execution | undefined;
  executionCount: number;
  episodeCount: number;
  resumed: number;
  /** The instance's task hub writes, one after the other. */
  saving: Promise<void>;
  payload: {
    activityCalls: number;
    maxActivityInputBytes: number;
    maxActivityInputName: string | undefined;
    maxActivityOutputBytes: number;
    maxActivityOutputName: string | undefined;
  };
}

type ExecutionEnd = { readonly kind: 'completed' | 'failed' } | { readonly kind: 'continueAsNew'; readonly inputJson: string | undefined };
type EpisodeEnd = ExecutionEnd | { readonly kind: 'waiting' };
type Invocation = { readonly kind: 'ok'; readonly state: EngineState } | { readonly kind: 'failed'; readonly message: string; readonly customStatus: unknown };

/** Timer settings handed to the engine. The short-timer ceiling is set out of reach so the engine never
 * splits long timers into the chained sub-timers that Azure Storage needs; the local driver has no limit. */
const LONG_TIMER_INTERVAL = 'P3D';
const MAX_SHORT_TIMER = 'P36500D';
const HTTP_POLL_INTERVAL_MS = 30_000;

class Driver implements LocalDurableDriver {
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly orchestrators: Readonly<Record<string, OrchestrationHandler>>;
  private readonly activities: Readonly<Record<string, ActivityHandler>>;
  private readonly now: () => Date;
  private readonly sink: ((entry: LocalDurableLogEntry) => void) | undefined;
  private readonly semaphore: Semaphore;
  private readonly maxTimerDelayMs: number;
  private readonly verify: boolean;
  private readonly payloadLimit: number | undefined;
  private readonly maxEpisodes: number;
  private readonly maxExecutions: number;
  private readonly taskHub: TaskHub | undefined;

  constructor(options: LocalDurableDriverOptions) {
    loadEngine();
    this.orchestrators = options.orchestrators;
    this.activities = options.activities;
    this.now = options.now ?? (() => new Date());
    this.sink = options.log;
    this.semaphore = new Semaphore(Math.max(1, options.maxConcurrentActivities ?? 16));
    this.maxTimerDelayMs = Math.max(0, options.maxTimerDelayMs ?? 0);
    this.verify = options.verifyReplay ?? false;
    this.payloadLimit = options.activityPayloadLimitBytes;
    this.maxEpisodes = options.maxEpisodesPerExecution ?? 10_000;
    this.maxExecutions = options.maxExecutions ?? 1_000;
    this.taskHub = options.taskHub;
  }

  // --- public surface

  start(name: string, input?: unknown, instanceId: string = randomUUID()): string {
    if (!Object.hasOwn(this.orchestrators, name)) {
      throw new Error(`Unknown orchestrator '${name}'. Registered: ${Object.keys(this.orchestrators).join(', ')}`);
    }
    this.assertRestartable(instanceId);
    this.launch(name, toJson(input), instanceId, undefined);
    return instanceId;
  }

  startNew(name: string, options: StartNewOptions = {}): Promise<string> {
    return Promise.resolve().then(() => this.start(name, options.input, options.instanceId));
  }

  getStatus(instanceId: string): LocalOrchestrationStatus | undefined {
    const record = this.instances.get(instanceId);
    return record && snapshot(record);
  }

  async status(instanceId: string): Promise<LocalOrchestrationStatus | undefined> {
    const known = this.getStatus(instanceId);
    if (known || !this.taskHub) return known;
    const stored = await this.taskHub.read(instanceId);
    return stored && storedSnapshot(stored);
  }

  listInstances(): LocalOrchestrationStatus[] {
    return [...this.instances.values()].map(snapshot);
  }

  getHistory(instanceId: string): LocalHistoryEvent[] {
    return (this.instances.get(instanceId)?.execution?.history ?? []).map(describeRecord);
  }

  async waitForCompletion(instanceId: string, timeoutMs = 30_000): Promise<LocalOrchestrationStatus> {
    const record = this.requireInstance(instanceId);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([record.settled.then(() => 'settled' as const), timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for instance ${instanceId} (status ${record.runtimeStatus})`);
    }
    return snapshot(record);
  }

  raiseEvent(instanceId: string, eventName: string, eventData?: unknown): void {
    const record = this.requireInstance(instanceId);
    const event: Inbound = { kind: 'eventRaised', name: eventName, inputJson: toJson(eventData) };
    if (record.runtimeStatus === 'Pending') record.earlyEvents.push(event);
    else if (record.runtimeStatus === 'Running' && record.execution) record.execution.inbox.push(event);
    else throw new Error(`Instance ${instanceId} is ${record.runtimeStatus}; it cannot receive event '${eventName}'`);
  }

  async resume(): Promise<number> {
    if (!this.taskHub) return 0;
    const stored = (await this.taskHub.unfinished()).filter((instance) => !this.instances.has(instance.instanceId));
    // Every record first, so a resumed parent finds its resumed children.
    const records = stored.map((instance) => this.restore(instance));
    for (const [index, record] of records.entries()) {
      const instance = stored[index] as StoredInstance;
      this.emit('information', `Orchestration '${record.name}' resumed from the task hub`, record);
      if (instance.execution) {
        const execution = this.restoreExecution(record, instance.execution);
        setImmediate(() => void this.runInstance(record, () => this.drive(record, execution)));
      } else {
        setImmediate(() => void this.runInstance(record, () => this.runExecution(record, instance.nextInputJson)));
      }
    }
    return records.length;
  }

  async idle(): Promise<void> {
    await Promise.all([...this.instances.values()].map((record) => record.saving.catch(() => undefined)));
  }

  // --- instance lifecycle

  private requireInstance(instanceId: string): InstanceRecord {
    const record = this.instances.get(instanceId);
    if (!record) throw new Error(`No orchestration instance with id ${instanceId}`);
    return record;
  }

  /** Like the extension, an id may be reused once its previous instance has finished. */
  private assertRestartable(instanceId: string): void {
    const existing = this.instances.get(instanceId);
    if (existing && !isTerminal(existing.runtimeStatus)) {
      throw new Error(`Instance ${instanceId} already exists and is ${existing.runtimeStatus}`);
    }
  }

  private newRecord(init: Pick<InstanceRecord, 'instanceId' | 'name' | 'parentInstanceId' | 'createdTime' | 'runtimeStatus' | 'input'>): InstanceRecord {
    let settle: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const record: InstanceRecord = {
      ...init,
      settled,
      settle,
      earlyEvents: [],
      output: undefined,
      customStatus: undefined,
      error: undefined,
      lastUpdatedTime: init.createdTime,
      lastEpisodeTime: undefined,
      execution: undefined,
      executionCount: 0,
      episodeCount: 0,
      resumed: 0,
      saving: Promise.resolve(),
      payload: { activityCalls: 0, maxActivityInputBytes: 0, maxActivityInputName: undefined, maxActivityOutputBytes: 0, maxActivityOutputName: undefined },
    };
    this.instances.set(init.instanceId, record);
    return record;
  }

  private launch(name: string, inputJson: string | undefined, instanceId: string, parentInstanceId: string | undefined): InstanceRecord {
    const record = this.newRecord({ instanceId, name, parentInstanceId, createdTime: this.now(), runtimeStatus: 'Pending', input: parseJson(inputJson) });
    this.emit('information', `Orchestration '${name}' scheduled`, record);
    // Saved at once: an instance the caller was told about survives a crash before its first episode.
    this.checkpoint(record, inputJson);
    // Deferred so callers get the id (and can observe 'Pending') before any orchestrator code runs.
    setImmediate(() => void this.runInstance(record, () => this.runExecution(record, inputJson)));
    return record;
  }

  private restore(instance: StoredInstance): InstanceRecord {
    const record = this.newRecord({
      instanceId: instance.instanceId,
      name: instance.name,
      parentInstanceId: instance.parentInstanceId,
      createdTime: new Date(instance.createdTime),
      runtimeStatus: instance.runtimeStatus,
      input: parseJson(instance.execution?.inputJson ?? instance.nextInputJson),
    });
    record.lastUpdatedTime = new Date(instance.lastUpdatedTime);
    record.lastEpisodeTime = instance.lastEpisodeTime === undefined ? undefined : new Date(instance.lastEpisodeTime);
    record.executionCount = instance.executionCount;
    record.episodeCount = instance.episodeCount;
    record.resumed = instance.resumed + 1;
    record.customStatus = parseJson(instance.customStatusJson);
    return record;
  }

  /** The saved execution, with its outstanding tasks sent again (activities redone, timers re-armed). */
  private restoreExecution(record: InstanceRecord, stored: StoredExecution): Execution {
    const execution: Execution = {
      index: stored.index,
      inputJson: stored.inputJson,
      history: stored.history.map((event) => ({ ...event, isPlayed: true })),
      decisions: stored.decisions.map((decision) => ({ signature: { short: decision.short, full: decision.full }, action: reviveAction(decision.action), taskId: decision.taskId })),
      inbox: new Inbox<Inbound>(),
      outstanding: new Map(),
      nextTaskId: stored.nextTaskId,
      episodes: stored.episodes,
      closed: false,
    };
    record.execution = execution;
    const time = record.lastEpisodeTime ?? this.now();
    for (const task of stored.pending) {
      if (task.kind === 'timer') this.startTimer(execution, task.taskId, new Date(task.fireAt), time, task.retryOf);
      else this.startWork(record, execution, task.taskId, task.work, true);
    }
    return execution;
  }

  private async runInstance(record: InstanceRecord, first: () => Promise<ExecutionEnd>): Promise<void> {
    try {
      let end = await first();
      while (end.kind === 'continueAsNew') {
        if (record.executionCount >= this.maxExecutions) {
          this.markFailed(record, `Exceeded ${this.maxExecutions} executions via continueAsNew (maxExecutions)`);
          break;
        }
        record.runtimeStatus = 'ContinuedAsNew';
        record.execution = undefined;
        const inputJson = end.inputJson;
        this.checkpoint(record, inputJson);
        end = await this.runExecution(record, inputJson);
      }
    } catch (error) {
      this.markFailed(record, `Local durable driver error: ${errorMessage(error)}`);
    } finally {
      this.emit('information', `Orchestration '${record.name}' ${record.runtimeStatus}`, record);
      this.checkpoint(record, undefined);
      await record.saving.catch(() => this.emit('error', `Orchestration '${record.name}' could not save its outcome`, record));
      record.settle();
    }
  }

  private runExecution(record: InstanceRecord, inputJson: string | undefined): Promise<ExecutionEnd> {
    const execution = this.beginExecution(record, inputJson);
    return this.drive(record, execution, [{ kind: 'executionStarted' }, ...record.earlyEvents.splice(0)]);
  }

  /** Episode after episode until the execution ends; a restored one starts from its inbox, having finished an episode. */
  private async drive(record: InstanceRecord, execution: Execution, first?: Inbound[]): Promise<ExecutionEnd> {
    try {
      let inbound = first;
      for (;;) {
        inbound ??= await execution.inbox.takeAll();
        if (execution.episodes >= this.maxEpisodes) {
          const time = record.lastEpisodeTime ?? this.now();
          return this.failExecution(record, execution, time, `Exceeded ${this.maxEpisodes} episodes (maxEpisodesPerExecution)`);
        }
        const end = await this.runEpisode(record, execution, inbound);
        if (end.kind !== 'waiting') return end;
        inbound = undefined;
      }
    } finally {
      closeExecution(execution);
    }
  }

  private beginExecution(record: InstanceRecord, inputJson: string | undefined): Execution {
    record.executionCount += 1;
    record.input = parseJson(inputJson);
    const execution: Execution = {
      index: record.executionCount,
      inputJson,
      history: [],
      decisions: [],
      inbox: new Inbox<Inbound>(),
      outstanding: new Map(),
      nextTaskId: 0,
      episodes: 0,
      closed: false,
    };
    record.execution = execution;
    return execution;
  }

  // --- one episode: deliver events, replay, save, then send what the orchestrator asked for

  private async runEpisode(record: InstanceRecord, execution: Execution, inbound: readonly Inbound[]): Promise<EpisodeEnd> {
    const time = this.nextEpisodeTime(record, inbound);
    record.runtimeStatus = 'Running';
    record.episodeCount += 1;
    execution.episodes += 1;
    for (const event of execution.history) event.isPlayed = true;
    execution.history.push(historyRecord('OrchestratorStarted', -1, time));
    const retrySteps = this.deliver(record, execution, inbound, time);

    const invocation = await this.invoke(record, execution, this.orchestratorLog(record));
    record.lastUpdatedTime = this.now();
    if (invocation.kind === 'failed') {
      record.customStatus = invocation.customStatus ?? record.customStatus;
      return this.failEpisode(record, execution, time, invocation.message);
    }
    const { state } = invocation;
    record.customStatus = state.customStatus;
    const actions = flattenActions(state.actions);
    const divergence = this.recordNewActions(execution, actions);
    if (divergence) return this.failEpisode(record, execution, time, divergence);
    const sends: (() => void)[] = [];
    if (!state.isDone) {
      for (const step of retrySteps) sends.push(this.commitRetryStep(record, execution, step, time));
      const scheduled = this.scheduleNewActions(record, execution, time);
      if (typeof scheduled === 'string') return this.failEpisode(record, execution, time, scheduled);
      sends.push(...scheduled);
      cancelAbandonedTimers(execution, actions);
    }
    execution.history.push(historyRecord('OrchestratorCompleted', -1, time));
    if (state.isDone) return this.finishExecution(record, execution, state, time);
    const stalled = this.stallReason(record, execution);
    if (stalled) return this.failExecution(record, execution, time, stalled);
    // The episode is on record before anything it decided is sent, as the extension commits before dispatching.
    this.checkpoint(record, undefined);
    await record.saving;
    for (const send of sends) send();
    return { kind: 'waiting' };
  }

  /** Orchestration time: the injected clock, never moving backwards, and never before a fired timer's time. */
  private nextEpisodeTime(record: InstanceRecord, inbound: readonly Inbound[]): Date {
    let time = this.now().getTime();
    if (record.lastEpisodeTime) time = Math.max(time, record.lastEpisodeTime.getTime());
    for (const event of inbound) if (event.kind === 'timerFired') time = Math.max(time, event.fireAt.getTime());
    record.lastEpisodeTime = new Date(time);
    return record.lastEpisodeTime;
  }

  /**
   * Appends the inbound events to history. Retry steps go first: the engine numbers their hidden tasks the
   * moment it reads them, and since they resume no user code those ids precede any task yielded this episode.
   */
  private deliver(record: InstanceRecord, execution: Execution, inbound: readonly Inbound[], time: Date): RetryStep[] {
    const ordered = [...inbound.filter(startsRetryStep), ...inbound.filter((event) => !startsRetryStep(event))];
    const steps: RetryStep[] = [];
    for (const event of ordered) {
      execution.history.push(this.historyRecordFor(record, execution, event, time));
      if ('taskId' in event) execution.outstanding.delete(event.taskId);
      const step = nextRetryStep(execution, event, time);
      if (step) steps.push(step);
    }
    return steps;
  }

  private historyRecordFor(record: InstanceRecord, execution: Execution, event: Inbound, time: Date): HistoryRecord {
    switch (event.kind) {
      case 'executionStarted':
        return historyRecord('ExecutionStarted', -1, time, { name: record.name, input: execution.inputJson });
      case 'timerFired':
        return historyRecord('TimerFired', -1, time, { timerId: event.taskId, fireAt: event.fireAt });
      case 'eventRaised':
        return historyRecord('EventRaised', -1, time, { name: event.name, input: event.inputJson });
      case 'workDone':
        return workResultRecord(event.work, event.taskId, event.outcome, time);
    }
  }

  private async invoke(record: InstanceRecord, execution: Execution, log: LogHandler): Promise<Invocation> {
    const { createOrchestrator, OrchestrationTrigger, OrchestrationContext, schemaVersion } = loadEngine();
    const handler = this.orchestrators[record.name];
    if (!handler) return { kind: 'failed', message: `Unknown orchestrator '${record.name}'`, customStatus: undefined };
    const trigger = new OrchestrationTrigger(
      record.instanceId,
      execution.history.map(engineEvent),
      // A fresh parse per episode: the engine rewrites "Timestamp" strings in the input into Dates, as in prod.
      parseJson(execution.inputJson),
      LONG_TIMER_INTERVAL,
      MAX_SHORT_TIMER,
      HTTP_POLL_INTERVAL_MS,
      schemaVersion,
      false,
      record.parentInstanceId,
    );
    const context = new OrchestrationContext(record.name, randomUUID(), log);
    let raw: unknown;
    try {
      raw = await createOrchestrator(handler)(trigger, context);
    } catch (error) {
      return { kind: 'failed', ...readOrchestrationFailure(error) };
    }
    return { kind: 'ok', state: readEngineState(raw) };
  }

  /**
   * Actions already decided must come back identically on replay (the extension fails such instances as
   * non-deterministic); the rest are new and are recorded for scheduling.
   */
  private recordNewActions(execution: Execution, actions: readonly DriverAction[]): string | undefined {
    for (const [index, decision] of execution.decisions.entries()) {
      const replayed = actions[index];
      const replayedShort = replayed ? signatureOf(replayed).short : 'nothing';
      if (replayedShort !== decision.signature.short) {
        return (
          `Non-deterministic orchestration detected: action #${index} was '${decision.signature.short}' ` +
          `when first scheduled but the replay produced '${replayedShort}'`
        );
      }
    }
    for (const action of actions.slice(execution.decisions.length)) {
      execution.decisions.push({ signature: signatureOf(action), action, taskId: undefined });
    }
    return undefined;
  }

  /** Numbers the new actions and writes them to history; returns what to send once the episode is saved. */
  private scheduleNewActions(record: InstanceRecord, execution: Execution, time: Date): (() => void)[] | string {
    const sends: (() => void)[] = [];
    for (const [index, decision] of execution.decisions.entries()) {
      if (decision.taskId !== undefined || !consumesTaskId(decision.action)) continue;
      if (decision.action.kind === 'unsupported') {
        return `The local durable driver does not support '${decision.action.typeName}' actions (entities, HTTP)`;
      }
      const taskId = execution.nextTaskId++;
      execution.decisions[index] = { ...decision, taskId };
      sends.push(this.scheduleAction(record, execution, decision.action, taskId, time));
    }
    return sends;
  }

  private scheduleAction(record: InstanceRecord, execution: Execution, action: DriverAction, taskId: number, time: Date): () => void {
    if (action.kind === 'timer') {
      execution.history.push(historyRecord('TimerCreated', taskId, time, { fireAt: action.fireAt }));
      return this.pendTimer(execution, taskId, action.fireAt, time, undefined);
    }
    if (action.kind !== 'activity' && action.kind !== 'subOrchestration') return () => undefined;
    const work: WorkItem = {
      kind: action.kind,
      name: action.name,
      inputJson: toJson(action.input),
      retry: action.retry,
      attempt: 1,
      fixedInstanceId: action.kind === 'subOrchestration' ? action.instanceId : undefined,
    };
    return this.pendWork(record, execution, taskId, work, time);
  }

  private commitRetryStep(record: InstanceRecord, execution: Execution, step: RetryStep, time: Date): () => void {
    if (step.kind === 'retryTimer') {
      execution.history.push(historyRecord('TimerCreated', step.taskId, time, { fireAt: step.fireAt }));
      return this.pendTimer(execution, step.taskId, step.fireAt, time, step.failed);
    }
    return this.pendWork(record, execution, step.taskId, step.work, time);
  }

  /** Records the task as scheduled (history and outstanding); the returned send starts it. */
  private pendWork(record: InstanceRecord, execution: Execution, taskId: number, work: WorkItem, time: Date): () => void {
    if (work.kind === 'activity') {
      execution.history.push(historyRecord('TaskScheduled', taskId, time, { name: work.name, input: work.inputJson }));
    } else {
      const fields = { name: work.name, input: work.inputJson, instanceId: childInstanceId(record, execution, taskId, work) };
      execution.history.push(historyRecord('SubOrchestrationInstanceCreated', taskId, time, fields));
    }
    execution.outstanding.set(taskId, { task: { kind: 'work', taskId, work }, cancel: () => undefined });
    return () => this.startWork(record, execution, taskId, work, false);
  }

  private pendTimer(execution: Execution, taskId: number, fireAt: Date, time: Date, retryOf: WorkItem | undefined): () => void {
    execution.outstanding.set(taskId, { task: { kind: 'timer', taskId, fireAt: fireAt.toISOString(), retryOf }, cancel: () => undefined });
    // A timer canceled in the episode that created it is never started.
    return () => {
      if (execution.outstanding.has(taskId)) this.startTimer(execution, taskId, fireAt, time, retryOf);
    };
  }

  private startWork(record: InstanceRecord, execution: Execution, taskId: number, work: WorkItem, resumed: boolean): void {
    execution.outstanding.set(taskId, { task: { kind: 'work', taskId, work }, cancel: () => undefined });
    const running =
      work.kind === 'activity'
        ? this.runActivity(record, taskId, work)
        : this.runSubOrchestration(record, childInstanceId(record, execution, taskId, work), work, resumed);
    void running
      .catch((error: unknown) => failure(`Local durable driver could not run '${work.name}': ${errorMessage(error)}`))
      .then((outcome) => deliverLater(execution, { kind: 'workDone', taskId, work, outcome }));
  }

  private startTimer(execution: Execution, taskId: number, fireAt: Date, time: Date, retryOf: WorkItem | undefined): void {
    const delay = Math.min(Math.max(fireAt.getTime() - time.getTime(), 0), this.maxTimerDelayMs);
    const handle = setTimeout(() => deliverLater(execution, { kind: 'timerFired', taskId, fireAt, retryOf }), delay);
    execution.outstanding.set(taskId, { task: { kind: 'timer', taskId, fireAt: fireAt.toISOString(), retryOf }, cancel: () => clearTimeout(handle) });
  }

  // --- executing work

  private async runActivity(record: InstanceRecord, taskId: number, work: WorkItem): Promise<Outcome> {
    const handler = this.activities[work.name];
    if (!handler) return failure(`The function '${work.name}' doesn't exist, is disabled, or is not an activity function.`);
    record.payload.activityCalls += 1;
    const inputBytes = byteLength(work.inputJson);
    this.notePayload(record, work.name, 'input', inputBytes);
    const tooLarge = this.payloadLimitViolation(work.name, 'input', inputBytes);
    if (tooLarge) return failure(tooLarge);
    return this.semaphore.run(async () => {
      try {
        const context = new (loadEngine().ActivityContext)({
          invocationId: randomUUID(),
          functionName: work.name,
          logHandler: this.activityLog(record, work.name),
          triggerMetadata: { instanceId: record.instanceId, taskId },
          options: { trigger: { type: 'activityTrigger', name: 'input' }, extraInputs: [], extraOutputs: [] },
        });
        const result: unknown = await handler(parseJson(work.inputJson), context);
        return this.activityResult(record, work.name, result);
      } catch (error) {
        // Name and attempt only: error messages may carry personal data and the log sink is shared.
        this.emit('warning', `Activity '${work.name}' failed on attempt ${work.attempt}`, record, work.name);
        return failure(`Activity function '${work.name}' failed: ${errorMessage(error)}`, errorDetails(error));
      }
    });
  }

  /** The host serializes the return value; an activity returning nothing yields null to the orchestrator. */
  private activityResult(record: InstanceRecord, name: string, result: unknown): Outcome {
    const resultJson = toJson(result) ?? 'null';
    const outputBytes = byteLength(resultJson);
    this.notePayload(record, name, 'output', outputBytes);
    const tooLarge = this.payloadLimitViolation(name, 'output', outputBytes);
    return tooLarge ? failure(tooLarge) : { ok: true, resultJson };
  }

  /**
   * A child instance. Sent again after a restart, it attaches to the child where it stands: running in
   * this process (resumed too), finished before the restart (its saved outcome), or never saved (started).
   */
  private async runSubOrchestration(parent: InstanceRecord, instanceId: string, work: WorkItem, resumed: boolean): Promise<Outcome> {
    if (!Object.hasOwn(this.orchestrators, work.name)) {
      return failure(`The function '${work.name}' doesn't exist, is disabled, or is not an orchestrator function.`);
    }
    let child = this.instances.get(instanceId);
    if (resumed && child) {
      await child.settled;
      return childOutcome(work.name, instanceId, child.runtimeStatus, toJson(child.output), child.error);
    }
    if (resumed && !child) {
      const stored = await this.taskHub?.read(instanceId);
      if (stored && isTerminal(stored.runtimeStatus)) return childOutcome(work.name, instanceId, stored.runtimeStatus, stored.outputJson, stored.error);
    }
    if (child && !isTerminal(child.runtimeStatus)) return failure(`Sub-orchestration instance ${instanceId} is already running`);
    child = this.launch(work.name, work.inputJson, instanceId, parent.instanceId);
    await child.settled;
    return childOutcome(work.name, instanceId, child.runtimeStatus, toJson(child.output), child.error);
  }

  private notePayload(record: InstanceRecord, name: string, direction: 'input' | 'output', bytes: number): void {
    const stats = record.payload;
    if (direction === 'input' && bytes > stats.maxActivityInputBytes) {
      stats.maxActivityInputBytes = bytes;
      stats.maxActivityInputName = name;
    } else if (direction === 'output' && bytes > stats.maxActivityOutputBytes) {
      stats.maxActivityOutputBytes = bytes;
      stats.maxActivityOutputName = name;
    }
  }

  private payloadLimitViolation(name: string, direction: 'input' | 'output', bytes: number): string | undefined {
    if (this.payloadLimit === undefined || bytes <= this.payloadLimit) return undefined;
    return `Activity '${name}' ${direction} is ${bytes} bytes, over the ${this.payloadLimit} byte limit (activityPayloadLimitBytes)`;
  }

  // --- ending an execution

  private async finishExecution(record: InstanceRecord, execution: Execution, state: EngineState, time: Date): Promise<ExecutionEnd> {
    const mismatch = this.verify ? await this.verifyReplay(record, execution, state) : undefined;
    if (mismatch) return this.failExecution(record, execution, time, mismatch);
    const next = execution.decisions.find((decision) => decision.action.kind === 'continueAsNew')?.action;
    if (next?.kind === 'continueAsNew') {
      execution.history.push(executionCompletedRecord(time, 'ContinuedAsNew', undefined));
      return { kind: 'continueAsNew', inputJson: toJson(next.input) };
    }
    const outputJson = toJson(state.output);
    execution.history.push(executionCompletedRecord(time, 'Completed', outputJson));
    record.output = parseJson(outputJson);
    record.runtimeStatus = 'Completed';
    return { kind: 'completed' };
  }

  /** Replays the finished execution once more; any difference from what was recorded is non-determinism. */
  private async verifyReplay(record: InstanceRecord, execution: Execution, finalState: EngineState): Promise<string | undefined> {
    const invocation = await this.invoke(record, execution, () => undefined);
    const prefix = `Non-deterministic orchestration '${record.name}' detected by verifyReplay:`;
    if (invocation.kind === 'failed') return `${prefix} the replay threw '${invocation.message}'`;
    const replayed = flattenActions(invocation.state.actions).map((action) => signatureOf(action).full);
    const recorded = execution.decisions.map((decision) => decision.signature.full);
    const index = firstDifference(recorded, replayed);
    if (index !== undefined) {
      return `${prefix} action #${index} was '${recorded[index] ?? 'nothing'}' but the replay produced '${replayed[index] ?? 'nothing'}'`;
    }
    if (invocation.state.isDone !== finalState.isDone || toJson(invocation.state.output) !== toJson(finalState.output)) {
      return `${prefix} the replay returned ${toJson(invocation.state.output)} instead of ${toJson(finalState.output)}`;
    }
    return undefined;
  }

  private failEpisode(record: InstanceRecord, execution: Execution, time: Date, message: string): ExecutionEnd {
    execution.history.push(historyRecord('OrchestratorCompleted', -1, time));
    return this.failExecution(record, execution, time, message);
  }

  private failExecution(record: InstanceRecord, execution: Execution, time: Date, message: string): ExecutionEnd {
    execution.history.push(executionCompletedRecord(time, 'Failed', toJson(message)));
    return this.markFailed(record, message);
  }

  private markFailed(record: InstanceRecord, message: string): ExecutionEnd {
    record.runtimeStatus = 'Failed';
    record.error = message;
    record.output = message;
    record.lastUpdatedTime = this.now();
    return { kind: 'failed' };
  }

  /**
   * With nothing in flight the orchestrator can only be waiting for raiseEvent. If it never asked for an
   * event it would wait forever (in Azure too), so fail it loudly instead of letting callers time out.
   */
  private stallReason(record: InstanceRecord, execution: Execution): string | undefined {
    if (execution.outstanding.size > 0 || execution.inbox.size > 0) return undefined;
    const awaited = execution.decisions.flatMap((decision) => (decision.action.kind === 'waitForEvent' ? [decision.action.name] : []));
    if (awaited.length === 0) return `Orchestration '${record.name}' stalled: it awaits no activity, timer, sub-orchestration or event`;
    this.emit('information', `Orchestration '${record.name}' idle, waiting for external event(s): ${awaited.join(', ')}`, record);
    return undefined;
  }

  // --- the task hub

  /** Queues a write of the instance as it stands now; `record.saving` settles once it is stored. */
  private checkpoint(record: InstanceRecord, nextInputJson: string | undefined): void {
    const taskHub = this.taskHub;
    if (!taskHub) return;
    const stored = storedInstance(record, nextInputJson);
    // A failed write fails the episode waiting on it, not the writes queued after it.
    record.saving = record.saving.catch(() => undefined).then(() => taskHub.save(stored));
  }

  // --- logging

  private emit(level: LogLevel, message: string, record: InstanceRecord | undefined, functionName?: string): void {
    this.sink?.({ level, message, instanceId: record?.instanceId, functionName: functionName ?? record?.name });
  }

  private orchestratorLog(record: InstanceRecord): LogHandler {
    return (level, ...args) => this.emit(level, format(...args), record);
  }

  private activityLog(record: InstanceRecord, name: string): LogHandler {
    return (level, ...args) => this.emit(level, format(...args), record, name);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

function workResultRecord(work: WorkItem, taskId: number, outcome: Outcome, time: Date): HistoryRecord {
  const activity = work.kind === 'activity';
  if (outcome.ok) {
    return historyRecord(activity ? 'TaskCompleted' : 'SubOrchestrationInstanceCompleted', -1, time, { taskScheduledId: taskId, result: outcome.resultJson });
  }
  // Scrubbed: a failure's text is kept in the task hub, and exception messages can echo input.
  return historyRecord(activity ? 'TaskFailed' : 'SubOrchestrationInstanceFailed', -1, time, {
    taskScheduledId: taskId,
    reason: scrubText(outcome.reason),
    details: scrubText(outcome.details),
  });
}

function childOutcome(name: string, instanceId: string, status: LocalRuntimeStatus, outputJson: string | undefined, error: string | undefined): Outcome {
  if (status === 'Completed') return { ok: true, resultJson: outputJson ?? 'null' };
  return failure(`Sub-orchestration '${name}' (${instanceId}) failed: ${error ?? status}`);
}

/** Without an explicit id, each attempt gets one derived from its task id: unique and replay-stable. */
function childInstanceId(parent: InstanceRecord, execution: Execution, taskId: number, work: WorkItem): string {
  return work.fixedInstanceId ?? `${parent.instanceId}:${execution.index}:${taskId}`;
}

/**
 * Mirrors RetryableTask: every failed attempt is followed by a timer (even the last one, whose firing
 * fails the task), and every retry timer but the last is followed by a new attempt.
 */
function startsRetryStep(event: Inbound): boolean {
  if (event.kind === 'workDone') return event.work.retry !== undefined && !event.outcome.ok;
  if (event.kind === 'timerFired' && event.retryOf?.retry) return event.retryOf.attempt < event.retryOf.retry.maxNumberOfAttempts;
  return false;
}

/** Decides the retry step an event starts and takes its task id, in the order the engine will. */
function nextRetryStep(execution: Execution, event: Inbound, time: Date): RetryStep | undefined {
  if (!startsRetryStep(event)) return undefined;
  if (event.kind === 'workDone' && event.work.retry) {
    const fireAt = new Date(time.getTime() + retryDelayMs(event.work.retry, event.work.attempt));
    return { kind: 'retryTimer', taskId: execution.nextTaskId++, fireAt, failed: event.work };
  }
  if (event.kind === 'timerFired' && event.retryOf) {
    const work = { ...event.retryOf, attempt: event.retryOf.attempt + 1 };
    return { kind: 'retryAttempt', taskId: execution.nextTaskId++, work };
  }
  return undefined;
}

function consumesTaskId(action: DriverAction): boolean {
  return action.kind !== 'continueAsNew' && action.kind !== 'waitForEvent';
}

/** A canceled timer (`timerTask.cancel()`) will never be awaited; stop it so it holds no real time. */
function cancelAbandonedTimers(execution: Execution, actions: readonly DriverAction[]): void {
  actions.forEach((action, index) => {
    const taskId = execution.decisions[index]?.taskId;
    if (action.kind !== 'timer' || !action.isCanceled || taskId === undefined) return;
    execution.outstanding.get(taskId)?.cancel();
    execution.outstanding.delete(taskId);
  });
}

function deliverLater(execution: Execution, event: Inbound): void {
  if (!execution.closed) execution.inbox.push(event);
}

/** Work still in flight when an execution ends is abandoned, as the extension does; only timers can be stopped. */
function closeExecution(execution: Execution): void {
  execution.closed = true;
  for (const { cancel } of execution.outstanding.values()) cancel();
  execution.outstanding.clear();
}

function serializeAction(action: DriverAction): StoredDecision['action'] {
  return action.kind === 'timer' ? { ...action, fireAt: action.fireAt.toISOString() } : { ...action };
}

function reviveAction(action: StoredDecision['action']): DriverAction {
  return (action.kind === 'timer' ? { ...action, fireAt: new Date(String(action['fireAt'])) } : action) as DriverAction;
}

/** The instance as the task hub keeps it: all of an unfinished one, the outcome only of a finished one. */
function storedInstance(record: InstanceRecord, nextInputJson: string | undefined): StoredInstance {
  const finished = isTerminal(record.runtimeStatus);
  const execution = record.execution;
  return {
    instanceId: record.instanceId,
    name: record.name,
    parentInstanceId: record.parentInstanceId,
    runtimeStatus: record.runtimeStatus,
    createdTime: record.createdTime.toISOString(),
    lastUpdatedTime: record.lastUpdatedTime.toISOString(),
    lastEpisodeTime: record.lastEpisodeTime?.toISOString(),
    executionCount: record.executionCount,
    episodeCount: record.episodeCount,
    resumed: record.resumed,
    outputJson: finished ? toJson(record.output) : undefined,
    customStatusJson: toJson(record.customStatus),
    error: record.error === undefined ? undefined : scrubText(record.error),
    execution:
      finished || !execution
        ? undefined
        : {
            index: execution.index,
            inputJson: execution.inputJson,
            history: execution.history.map((event) => ({ ...event })),
            decisions: execution.decisions.map((decision) => ({ ...decision.signature, action: serializeAction(decision.action), taskId: decision.taskId })),
            pending: [...execution.outstanding.values()].map(({ task }) => task),
            nextTaskId: execution.nextTaskId,
            episodes: execution.episodes,
          },
    nextInputJson: finished ? undefined : nextInputJson,
  };
}

function snapshot(record: InstanceRecord): LocalOrchestrationStatus {
  return {
    instanceId: record.instanceId,
    name: record.name,
    runtimeStatus: record.runtimeStatus,
    input: record.input,
    output: record.output,
    customStatus: record.customStatus,
    error: record.error,
    createdTime: record.createdTime,
    lastUpdatedTime: record.lastUpdatedTime,
    historyLength: record.execution?.history.length ?? 0,
    executionCount: record.executionCount,
    episodeCount: record.episodeCount,
    resumed: record.resumed,
    parentInstanceId: record.parentInstanceId,
    payload: { ...record.payload },
  };
}

function storedSnapshot(stored: StoredInstance): LocalOrchestrationStatus {
  return {
    instanceId: stored.instanceId,
    name: stored.name,
    runtimeStatus: stored.runtimeStatus,
    input: parseJson(stored.execution?.inputJson ?? stored.nextInputJson),
    output: parseJson(stored.outputJson),
    customStatus: parseJson(stored.customStatusJson),
    error: stored.error,
    createdTime: new Date(stored.createdTime),
    lastUpdatedTime: new Date(stored.lastUpdatedTime),
    historyLength: stored.execution?.history.length ?? 0,
    executionCount: stored.executionCount,
    episodeCount: stored.episodeCount,
    resumed: stored.resumed,
    parentInstanceId: stored.parentInstanceId,
    payload: { activityCalls: 0, maxActivityInputBytes: 0, maxActivityInputName: undefined, maxActivityOutputBytes: 0, maxActivityOutputName: undefined },
  };
}

function isTerminal(status: LocalRuntimeStatus): boolean {
  return status === 'Completed' || status === 'Failed';
}

function failure(reason: string, details = ''): Outcome {
  return { ok: false, reason, details };
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : (toJson(error) ?? String(error));
}

function errorDetails(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : '';
}

function firstDifference(left: readonly string[], right: readonly string[]): number | undefined {
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    if (left[index] !== right[index]) return index;
  }
  return undefined;
}

function toJson(value: unknown): string | undefined {
  return JSON.stringify(value) as string | undefined;
}

function parseJson(json: string | undefined): unknown {
  return json === undefined ? undefined : JSON.parse(json);
}

function byteLength(json: string | undefined): number {
  return json === undefined ? 0 : Buffer.byteLength(json, 'utf8');
}

class Inbox<T> {
  private items: T[] = [];
  private wake: (() => void) | undefined;

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
    this.wake?.();
    this.wake = undefined;
  }

  /**
   * Waits for at least one item, then one macrotask more so completions settling together (a fan-out
   * finishing, or a result and a failure released by the same promise) share one episode and one replay.
   */
  async takeAll(): Promise<T[]> {
    while (this.items.length === 0) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    const taken = this.items;
    this.items = [];
    return taken;
  }
}

class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Hands the slot straight to the next waiter so the count never dips and lets a newcomer jump the queue. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active -= 1;
  }
}
