import { scrubProperties, scrubText } from './telemetry/scrubber.js';

/**
 * Structured log lines. Properties carry ids, route templates and counts only: never
 * names, emails, phone numbers, free text or raw URLs (P6, P11).
 */
export type LogProperties = Record<string, string | number | boolean | undefined>;

export interface Logger {
  info(event: string, properties?: LogProperties): void;
  warn(event: string, properties?: LogProperties): void;
  error(event: string, properties?: LogProperties): void;
}

export type LogSink = (level: 'info' | 'warn' | 'error', line: string) => void;

export function createLogger(sink: LogSink = defaultSink): Logger {
  const write = (level: 'info' | 'warn' | 'error') => (event: string, properties: LogProperties = {}) =>
    // Scrubbed as a safety net: in Azure the host forwards these lines to Application Insights.
    sink(level, JSON.stringify({ level, event: scrubText(event), ...scrubProperties(properties) }));
  return { info: write('info'), warn: write('warn'), error: write('error') };
}

function defaultSink(level: 'info' | 'warn' | 'error', line: string): void {
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}
