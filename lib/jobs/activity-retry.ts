import * as df from 'durable-functions';

/**
 * Transient Cosmos or Blob failures (503, time-outs, throttling the SDK gave up on) fail an
 * activity; durable retries with back-off (5 s, 10 s, ... capped at 5 min, 6 attempts) ride
 * them out. Every job activity is idempotent, so a retry after a partial attempt is safe.
 */
export function activityRetry(): df.RetryOptions {
  const options = new df.RetryOptions(5_000, 6);
  options.backoffCoefficient = 2;
  options.maxRetryIntervalInMilliseconds = 300_000;
  return options;
}
