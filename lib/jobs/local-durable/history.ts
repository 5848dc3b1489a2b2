/**
 * An orchestration's history as plain data: what the driver appends, persists in the task
 * hub and turns into the engine's event objects for every replay. Only `fireAt` is a Date;
 * everything else is JSON as the extension stores it.
 */
import { enumName, enumValue, loadEngine, type EngineHistoryEvent, type EventKind } from './engine.js';

export type HistoryRecord =
  | { kind: EventKind; eventId: number; timestamp: string; isPlayed: boolean; fields: Record<string, unknown> }
  | { kind: 'ExecutionCompleted'; eventId: -1; timestamp: string; isPlayed: boolean; status: string; result: string | undefined };

export interface LocalHistoryEvent {
  readonly eventType: string;
  readonly eventId: number;
  readonly timestamp: Date;
  /** The event's remaining fields as the engine sees them (Name, Input, Result, TaskScheduledId, ...). */
  readonly details: Readonly<Record<string, unknown>>;
}

export function historyRecord(kind: EventKind, eventId: number, timestamp: Date, fields: Record<string, unknown> = {}): HistoryRecord {
  const plain = Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, value instanceof Date ? value.toISOString() : value]));
  return { kind, eventId, timestamp: timestamp.toISOString(), isPlayed: false, fields: plain };
}

/** The extension writes ExecutionCompleted at the end of every execution; the JS package has no class for it. */
export function executionCompletedRecord(timestamp: Date, status: string, result: string | undefined): HistoryRecord {
  return { kind: 'ExecutionCompleted', eventId: -1, timestamp: timestamp.toISOString(), isPlayed: false, status, result };
}

export function engineEvent(record: HistoryRecord): EngineHistoryEvent {
  const { HistoryEventOptions, HistoryEvent, events, eventTypes } = loadEngine();
  const timestamp = new Date(record.timestamp);
  if (record.kind === 'ExecutionCompleted') {
    const event = new HistoryEvent(enumValue(eventTypes, 'ExecutionCompleted'), -1, record.isPlayed, timestamp);
    return Object.assign(event, { OrchestrationStatus: record.status, Result: record.result });
  }
  const fields = { ...record.fields };
  if (typeof fields['fireAt'] === 'string') fields['fireAt'] = new Date(fields['fireAt']);
  return new events[record.kind](Object.assign(new HistoryEventOptions(record.eventId, timestamp, record.isPlayed), fields));
}

const ENVELOPE_FIELDS = new Set(['EventType', 'EventId', 'Timestamp', 'IsPlayed', 'IsProcessed']);

export function describeRecord(record: HistoryRecord): LocalHistoryEvent {
  const event = engineEvent(record);
  const details = Object.fromEntries(Object.entries(event).filter(([field]) => !ENVELOPE_FIELDS.has(field)));
  return { eventType: enumName(loadEngine().eventTypes, event.EventType), eventId: event.EventId, timestamp: event.Timestamp, details };
}
