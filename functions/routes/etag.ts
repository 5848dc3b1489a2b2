import { problems } from '../../lib/http/problem.js';

/** Cosmos ETags are already quoted strings; HTTP wants them quoted too, so pass them through. */
export function etagHeader(etag: string): Record<string, string> {
  return { ETag: etag.startsWith('"') ? etag : `"${etag}"` };
}

export function ifMatchOf(headers: Headers): string {
  const value = headers.get('if-match')?.trim();
  if (!value) throw problems.preconditionRequired();
  if (value === '*') return value;
  return value.startsWith('W/') ? value.slice(2) : value;
}
