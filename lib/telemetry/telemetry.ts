import type { AppConfig } from '../config/config.js';
import type { Logger } from '../logger.js';
import type { IngestionHttpClient } from './app-insights.js';

export type TelemetryProperties = Record<string, string | number | boolean | undefined>;

/** One availability test result: Application Insights `availabilityResults`. */
export interface AvailabilityResult {
  /** The test's name; the portal groups results by it. */
  name: string;
  success: boolean;
  durationMs: number;
  /** Where the test ran: the app's Azure region. */
  runLocation: string;
  /** Short, fixed-vocabulary outcome such as `cosmos=ok blob=unavailable`; never request data. */
  message: string;
  properties?: TelemetryProperties;
}

export interface AvailabilityReporter {
  trackAvailability(result: AvailabilityResult): void;
}

/**
 * Custom telemetry the app sends besides the Functions host's own request and log
 * telemetry: availability results, events (`RetentionJobCompleted`...) and metrics
 * (`ErasureBacklog`). Properties carry ids, names of jobs and counts only; the
 * processors scrub anything else on the way out anyway.
 */
export interface Telemetry extends AvailabilityReporter {
  trackEvent(name: string, properties?: TelemetryProperties): void;
  trackMetric(name: string, value: number, properties?: TelemetryProperties): void;
  /** Sends what is buffered; timers call it before they return, as the instance may then be frozen. */
  flush(): Promise<void>;
}

/** Without Application Insights (local runs, tests) custom telemetry becomes log lines. */
export function loggerTelemetry(logger: Logger): Telemetry {
  return {
    // `test` and `outcome`: the logger redacts fields called `name` and `message` wholesale.
    trackAvailability: ({ name, message, properties, ...result }) =>
      logger.info('availability', { ...properties, ...result, test: name, outcome: message }),
    trackEvent: (name, properties) => logger.info(name, properties),
    trackMetric: (name, value, properties) => logger.info('metric', { ...properties, metric: name, value }),
    flush: () => Promise.resolve(),
  };
}

/**
 * Application Insights when a connection string is configured, log lines otherwise.
 * The SDK module is imported here, lazily, and only in the first case.
 */
export async function createTelemetry(config: AppConfig, logger: Logger, ingestion?: IngestionHttpClient): Promise<Telemetry> {
  if (!config.appInsightsConnectionString) return loggerTelemetry(logger);
  const { startAppInsights } = await import('./app-insights.js');
  return startAppInsights(
    { connectionString: config.appInsightsConnectionString, authentication: config.appInsightsAuthentication },
    logger,
    ingestion,
  );
}
