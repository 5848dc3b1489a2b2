import { problems } from './problem.js';

/** HTTP ETags are quoted; Cosmos' may or may not be (the emulator's are not). */
export function etagHeader(etag: string): Record<string, string> {
  return { ETag: `"${unquoteEtag(etag)}"` };
}

export function unquoteEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

export function ifMatchOf(headers: Headers): string {
  const value = headers.get('if-match')?.trim();
  if (!value) throw problems.preconditionRequired();
  return unquoteEtag(value);
}
