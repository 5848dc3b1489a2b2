/**
 * durable-functions' own replay engine, loaded from the package's internals: the one place
 * outside tests that touches them. The package only types its public surface, so every
 * internal export is checked when loaded and typed here with just the members the driver
 * uses; a version the driver was not written against fails loudly instead of misbehaving.
 */
import { createRequire } from 'node:module';
import type { InvocationContext } from '@azure/functions';
import type { DummyOrchestrationContext, OrchestrationHandler } from 'durable-functions';

/** The durable-functions releases whose internals this loader was written and tested against. */
const SUPPORTED_DURABLE_FUNCTIONS = /^3\.5\.\d+$/;

export interface EngineHistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: Date;
}

type HistoryEventClass = new (options: object) => EngineHistoryEvent;

const EVENT_KINDS = [
  'OrchestratorStarted',
  'OrchestratorCompleted',
  'ExecutionStarted',
  'TaskScheduled',
  'TaskCompleted',
  'TaskFailed',
  'TimerCreated',
  'TimerFired',
  'SubOrchestrationInstanceCreated',
  'SubOrchestrationInstanceCompleted',
  'SubOrchestrationInstanceFailed',
  'EventRaised',
] as const;

export type EventKind = (typeof EVENT_KINDS)[number];

interface OrchestrationTriggerClass {
  new (
    instanceId: string,
    history: EngineHistoryEvent[],
    input: unknown,
    longRunningTimerIntervalDuration: string,
    maximumShortTimerDuration: string,
    defaultHttpAsyncRequestSleepTimeMillseconds: number,
    schemaVersion: number,
    isReplaying: boolean,
    parentInstanceId: string | undefined,
  ): object;
}

type EngineOrchestrator = (trigger: object, context: InvocationContext) => Promise<unknown>;

export interface Engine {
  readonly createOrchestrator: (handler: OrchestrationHandler) => EngineOrchestrator;
  readonly OrchestrationTrigger: OrchestrationTriggerClass;
  readonly OrchestrationContext: typeof DummyOrchestrationContext;
  readonly ActivityContext: typeof InvocationContext;
  readonly HistoryEventOptions: new (eventId: number, timestamp: Date, isPlayed?: boolean) => object;
  readonly HistoryEvent: new (eventType: number, eventId: number, isPlayed: boolean, timestamp: Date) => EngineHistoryEvent;
  readonly events: Readonly<Record<EventKind, HistoryEventClass>>;
  readonly eventTypes: Readonly<Record<string, unknown>>;
  readonly actionTypes: Readonly<Record<string, unknown>>;
  readonly schemaVersion: number;
}

const requireCjs = createRequire(import.meta.url);
let engine: Engine | undefined;

export function loadEngine(): Engine {
  engine ??= buildEngine();
  return engine;
}

/** Throws, naming both versions, unless `version` is one the loader supports. */
export function assertSupportedVersion(version: string): void {
  if (!SUPPORTED_DURABLE_FUNCTIONS.test(version)) {
    throw new Error(
      `durable-functions ${version} is installed, but the local durable driver reads the internals of ${SUPPORTED_DURABLE_FUNCTIONS.source}: ` +
        'check lib/jobs/local-durable/engine.ts against the new release (history event classes, action types, replay schema) and widen the range',
    );
  }
}

function buildEngine(): Engine {
  assertSupportedVersion((requireCjs('durable-functions/package.json') as { version: string }).version);
  const events = Object.fromEntries(
    EVENT_KINDS.map((kind) => [kind, internal<HistoryEventClass>(`history/${kind}Event`, `${kind}Event`, 'function')]),
  ) as Record<EventKind, HistoryEventClass>;
  return {
    createOrchestrator: internal('util/testingUtils', 'createOrchestrator', 'function'),
    OrchestrationTrigger: internal('util/testingUtils', 'DurableOrchestrationInput', 'function'),
    OrchestrationContext: internal('util/testingUtils', 'DummyOrchestrationContext', 'function'),
    ActivityContext: moduleExport('@azure/functions', 'InvocationContext', 'function'),
    HistoryEventOptions: internal('history/HistoryEventOptions', 'HistoryEventOptions', 'function'),
    HistoryEvent: internal('history/HistoryEvent', 'HistoryEvent', 'function'),
    events,
    eventTypes: internal('history/HistoryEventType', 'HistoryEventType', 'object'),
    actionTypes: internal('actions/ActionType', 'ActionType', 'object'),
    // The latest schema is what current extensions negotiate, so nested Task.all/any actions look as in prod.
    schemaVersion: internal('orchestrations/ReplaySchema', 'LatestReplaySchema', 'number'),
  };
}

function internal<T>(path: string, name: string, kind: 'function' | 'object' | 'number'): T {
  return moduleExport<T>(`durable-functions/lib/src/${path}.js`, name, kind);
}

function moduleExport<T>(specifier: string, name: string, kind: 'function' | 'object' | 'number'): T {
  const loaded: unknown = requireCjs(specifier);
  const value: unknown = isRecord(loaded) ? loaded[name] : undefined;
  if (typeof value !== kind) {
    throw new Error(`${specifier} has no ${kind} export '${name}'; the local durable driver targets durable-functions ${SUPPORTED_DURABLE_FUNCTIONS.source}`);
  }
  return value as T;
}

export function enumValue(enumObject: Readonly<Record<string, unknown>>, member: string): number {
  const value = enumObject[member];
  if (typeof value !== 'number') throw new Error(`durable-functions enum member '${member}' is missing`);
  return value;
}

export function enumName(enumObject: Readonly<Record<string, unknown>>, value: number): string {
  const name = enumObject[String(value)];
  return typeof name === 'string' ? name : `Unknown(${value})`;
}

// ---------------------------------------------------------------------------------------------------------
// Reading what the engine returns

export interface RetryPolicy {
  readonly firstRetryIntervalInMilliseconds: number;
  readonly maxNumberOfAttempts: number;
  readonly backoffCoefficient: number | undefined;
  readonly maxRetryIntervalInMilliseconds: number | undefined;
}

export type DriverAction =
  | { readonly kind: 'activity'; readonly name: string; readonly input: unknown; readonly retry: RetryPolicy | undefined }
  | {
      readonly kind: 'subOrchestration';
      readonly name: string;
      readonly input: unknown;
      readonly instanceId: string | undefined;
      readonly retry: RetryPolicy | undefined;
    }
  | { readonly kind: 'timer'; readonly fireAt: Date; readonly isCanceled: boolean }
  | { readonly kind: 'continueAsNew'; readonly input: unknown }
  | { readonly kind: 'waitForEvent'; readonly name: string }
  | { readonly kind: 'unsupported'; readonly typeName: string };

export interface EngineState {
  readonly isDone: boolean;
  readonly actions: readonly unknown[];
  readonly output: unknown;
  readonly customStatus: unknown;
}

export function readEngineState(raw: unknown): EngineState {
  if (!isRecord(raw) || typeof raw['isDone'] !== 'boolean' || !Array.isArray(raw['actions'])) {
    throw new Error('durable-functions returned an orchestrator state the local driver does not understand');
  }
  return { isDone: raw['isDone'], actions: raw['actions'], output: raw['output'], customStatus: raw['customStatus'] };
}

/**
 * Flattens Task.all/Task.any into atomic actions in the order the engine numbered them. An action object
 * appears twice when an already scheduled task is passed to another Task.all/any; the engine does not
 * number it again, so neither may the driver.
 */
export function flattenActions(actions: readonly unknown[]): DriverAction[] {
  const { actionTypes } = loadEngine();
  const compound = new Set([enumValue(actionTypes, 'WhenAll'), enumValue(actionTypes, 'WhenAny')]);
  const seen = new Set<object>();
  const flat: DriverAction[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!isRecord(node) || seen.has(node)) return;
    seen.add(node);
    const type = node['actionType'];
    if (typeof type === 'number' && compound.has(type)) visit(node['compoundActions']);
    else flat.push(toDriverAction(node));
  };
  visit(actions);
  return flat;
}

function toDriverAction(raw: Record<string, unknown>): DriverAction {
  const { actionTypes } = loadEngine();
  const type = typeof raw['actionType'] === 'number' ? raw['actionType'] : -1;
  const is = (member: string): boolean => type === enumValue(actionTypes, member);
  const name = String(raw['functionName']);
  if (is('CallActivity')) return { kind: 'activity', name, input: decodeActionInput(raw['input']), retry: undefined };
  if (is('CallActivityWithRetry')) {
    return { kind: 'activity', name, input: decodeActionInput(raw['input']), retry: readRetryPolicy(raw['retryOptions']) };
  }
  if (is('CallSubOrchestrator') || is('CallSubOrchestratorWithRetry')) {
    const instanceId = typeof raw['instanceId'] === 'string' && raw['instanceId'] !== '' ? raw['instanceId'] : undefined;
    const retry = is('CallSubOrchestratorWithRetry') ? readRetryPolicy(raw['retryOptions']) : undefined;
    return { kind: 'subOrchestration', name, input: raw['input'], instanceId, retry };
  }
  if (is('CreateTimer') && raw['fireAt'] instanceof Date) {
    return { kind: 'timer', fireAt: raw['fireAt'], isCanceled: raw['isCanceled'] === true };
  }
  if (is('ContinueAsNew')) return { kind: 'continueAsNew', input: decodeActionInput(raw['input']) };
  if (is('WaitForExternalEvent')) return { kind: 'waitForEvent', name: String(raw['externalEventName']) };
  return { kind: 'unsupported', typeName: enumName(actionTypes, type) };
}

/** The package JSON-encodes string inputs of activity and continueAsNew actions (`Utils.processInput`). */
function decodeActionInput(input: unknown): unknown {
  return typeof input === 'string' ? JSON.parse(input) : input;
}

function readRetryPolicy(raw: unknown): RetryPolicy {
  if (!isRecord(raw)) throw new Error('callActivityWithRetry/callSubOrchestratorWithRetry action has no retry options');
  const optionalNumber = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
  return {
    firstRetryIntervalInMilliseconds: Number(raw['firstRetryIntervalInMilliseconds']),
    maxNumberOfAttempts: Number(raw['maxNumberOfAttempts']),
    backoffCoefficient: optionalNumber(raw['backoffCoefficient']),
    maxRetryIntervalInMilliseconds: optionalNumber(raw['maxRetryIntervalInMilliseconds']),
  };
}

const OUT_OF_PROC_LABEL = '\n\n$OutOfProcData$:';

/**
 * The engine throws OrchestrationFailureError whose leading text is not the user's message (3.5.0 passes
 * `orchestratorReturned`, so it reads "false"); the message and custom status are in the serialized state
 * that follows the label, which is what the extension reads too.
 */
export function readOrchestrationFailure(error: unknown): { message: string; customStatus: unknown } {
  const text = error instanceof Error ? error.message : String(error);
  const at = text.indexOf(OUT_OF_PROC_LABEL);
  const state = at < 0 ? undefined : parseState(text.slice(at + OUT_OF_PROC_LABEL.length));
  const message = typeof state?.['error'] === 'string' ? state['error'] : at < 0 ? text : text.slice(0, at);
  return { message, customStatus: state?.['customStatus'] };
}

function parseState(stateJson: string): Record<string, unknown> | undefined {
  try {
    const state: unknown = JSON.parse(stateJson);
    return isRecord(state) ? state : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
