import { createRequire } from 'node:module';
import type { RetryOptions } from 'durable-functions';

type RetryOptionsClass = new (firstRetryIntervalInMilliseconds: number, maxNumberOfAttempts: number) => RetryOptions;

const require = createRequire(import.meta.url);

/**
 * Transient Cosmos or Blob failures (503, time-outs, throttling the SDK gave up on) fail an
 * activity; durable retries with back-off (5 s, 10 s, ... capped at 5 min, 6 attempts) ride
 * them out. Every job activity is idempotent, so a retry after a partial attempt is safe.
 * durable-functions is required here, inside an orchestration, not when the app loads.
 */
export function activityRetry(): RetryOptions {
  const durable = require('durable-functions') as { RetryOptions: RetryOptionsClass };
  const options = new durable.RetryOptions(5_000, 6);
  options.backoffCoefficient = 2;
  options.maxRetryIntervalInMilliseconds = 300_000;
  return options;
}
