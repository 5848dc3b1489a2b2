import type { AzureMonitorOpenTelemetryOptions } from 'applicationinsights';
import { scrubDeep, scrubText, scrubValue } from './scrubber.js';

export type SpanProcessor = NonNullable<AzureMonitorOpenTelemetryOptions['spanProcessors']>[number];
export type LogRecordProcessor = NonNullable<AzureMonitorOpenTelemetryOptions['logRecordProcessors']>[number];
type EndedSpan = Parameters<SpanProcessor['onEnd']>[0];
type EmittedLogRecord = Parameters<LogRecordProcessor['onEmit']>[0];

/** What the scrubber may rewrite on a span; the SDK's span objects are plain, writable objects. */
interface MutableSpan {
  name: string;
  attributes: Record<string, unknown>;
  status: { message?: string };
  events: { name: string; attributes?: Record<string, unknown> }[];
  links: { attributes?: Record<string, unknown> }[];
}

function scrubAttributes(attributes: Record<string, unknown> | undefined): void {
  if (!attributes) return;
  for (const [key, value] of Object.entries(attributes)) attributes[key] = scrubValue(key, value);
}

function scrubSpan(span: MutableSpan): void {
  span.name = scrubText(span.name);
  scrubAttributes(span.attributes);
  if (span.status.message) span.status.message = scrubText(span.status.message);
  for (const event of span.events) {
    event.name = scrubText(event.name);
    scrubAttributes(event.attributes);
  }
  for (const link of span.links) scrubAttributes(link.attributes);
}

/**
 * Scrubs spans (dependencies) before anything reads them. `onEnding` runs before any
 * processor's `onEnd`, so the SDK's own metrics processor and the exporter only ever
 * see the scrubbed span; `onEnd` repeats the (idempotent) scrub for SDK versions
 * without `onEnding`.
 */
export class PiiSpanProcessor implements SpanProcessor {
  onStart(): void {}

  onEnding(span: unknown): void {
    scrubSpan(span as MutableSpan);
  }

  onEnd(span: EndedSpan): void {
    scrubSpan(span as unknown as MutableSpan);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Scrubs log records (traces, custom events, availability results, exceptions). The
 * record's attributes become customDimensions and are scrubbed by key and value; its
 * body is the SDK's envelope data (`name`, `message`, `runLocation`...) and is scrubbed
 * by pattern only.
 */
export class PiiLogRecordProcessor implements LogRecordProcessor {
  onEmit(record: EmittedLogRecord): void {
    for (const [key, value] of Object.entries(record.attributes)) {
      const scrubbed = scrubValue(key, value);
      if (scrubbed !== value) record.setAttribute(key, scrubbed as Parameters<EmittedLogRecord['setAttribute']>[1]);
    }
    if (record.body !== undefined) record.setBody(scrubDeep(record.body) as typeof record.body);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
