import { randomUUID } from 'node:crypto';
import type { AzureMonitorOpenTelemetryOptions } from 'applicationinsights';
import type { Logger } from '../logger.js';
import { PiiLogRecordProcessor, PiiSpanProcessor } from './pii-processors.js';
import { scrubProperties } from './scrubber.js';
import type { Telemetry, TelemetryProperties } from './telemetry.js';

type ExporterOptions = NonNullable<AzureMonitorOpenTelemetryOptions['azureMonitorExporterOptions']>;

/** Carries the exporter's HTTP requests; tests pass one that records instead of sending. */
export type IngestionHttpClient = NonNullable<ExporterOptions['httpClient']>;

export interface AppInsightsSettings {
  connectionString: string;
  /** Set when APPLICATIONINSIGHTS_AUTHENTICATION_STRING asks for Entra ID (the resource has local auth off). */
  authentication: { clientId: string | undefined } | undefined;
}

function definedOnly(properties: TelemetryProperties | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(properties ?? {}).filter(([, value]) => value !== undefined)) as Record<
    string,
    string | number | boolean
  >;
}

/**
 * Starts Application Insights (OpenTelemetry under the hood) for this process. Loaded
 * only when a connection string is configured, on the first request or timer, so the
 * SDK never weighs on the entry module's import.
 *
 * The Functions host already records every invocation as a request and forwards the
 * worker's console output as traces, so the SDK collects neither: incoming HTTP
 * instrumentation is off and the app's Logger writes (scrubbed) lines to the console.
 * What the SDK adds is custom telemetry (availability, events, metrics) and Azure SDK
 * dependency spans, all through the PII processors. Live Metrics is off because it
 * streams samples before processors can scrub them.
 */
export async function startAppInsights(settings: AppInsightsSettings, logger: Logger, ingestion?: IngestionHttpClient): Promise<Telemetry> {
  const [{ TelemetryClient }, credential] = await Promise.all([
    import('applicationinsights'),
    settings.authentication ? managedIdentityCredential(settings.authentication.clientId) : undefined,
  ]);
  const exporterOptions: ExporterOptions = { connectionString: settings.connectionString };
  if (credential) exporterOptions.credential = credential;
  if (ingestion) exporterOptions.httpClient = ingestion;

  const client = new TelemetryClient(settings.connectionString);
  client.config.azureMonitorOpenTelemetryOptions = {
    azureMonitorExporterOptions: exporterOptions,
    instrumentationOptions: { http: { enabled: false }, azureSdk: { enabled: true } },
    enableAutoCollectExceptions: false,
    enableAutoCollectPerformance: false,
    enablePerformanceCounters: false,
    enableLiveMetrics: false,
    // Availability results and job events must never be sampled away with a trace.
    enableTraceBasedSamplingForLogs: false,
    spanProcessors: [new PiiSpanProcessor()],
    logRecordProcessors: [new PiiLogRecordProcessor()],
  };
  client.initialize();

  // Telemetry never fails a request, a job or the probe: the SDK swallows its own start-up
  // errors and then throws on every track call.
  const safely = (track: () => void): void => {
    try {
      track();
    } catch (error) {
      logger.warn('telemetry-failed', { error: error instanceof Error ? error.name : typeof error });
    }
  };
  return {
    trackAvailability: (result) =>
      safely(() =>
        client.trackAvailability({
          id: randomUUID(),
          name: result.name,
          success: result.success,
          duration: result.durationMs,
          runLocation: result.runLocation,
          message: result.message,
          properties: definedOnly(result.properties),
        }),
      ),
    trackEvent: (name, properties) => safely(() => client.trackEvent({ name, properties: definedOnly(properties) })),
    // Metrics pass no span or log processor: their dimensions are scrubbed here.
    trackMetric: (name, value, properties) =>
      safely(() => client.trackMetric({ name, value, properties: scrubProperties(definedOnly(properties)) })),
    flush: () => client.flush(),
  };
}

async function managedIdentityCredential(clientId: string | undefined) {
  const { ManagedIdentityCredential } = await import('@azure/identity');
  return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
}
