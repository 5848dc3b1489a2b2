import { createHash } from 'node:crypto';
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { RequestDeadlines } from '../data/request-deadline.js';
import { HttpProblem, problems } from '../http/problem.js';
import { isRaw, type AnyRoute, type RouteResult } from '../http/route.js';
import type { IdempotencyStore, Reservation, StoredResponse } from './idempotency-store.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** Printable ASCII without quotes or backslash: what the header's structured string allows, and no more than a UUID needs. */
const KEY_FORMAT = /^[\x21\x23-\x5b\x5d-\x7e]{1,255}$/;

/** Headers a replay repeats; the rest (request id, caching, cookies) belong to each answer. */
const REPLAYED_HEADERS = ['location', 'etag', 'content-type'];

/** The Idempotency-Key of a POST, if it sent one and the route replays (session start runs again instead: lib/http/route.ts). */
export function idempotencyKeyOf(route: AnyRoute, request: HttpRequest): string | undefined {
  if (route.method !== 'POST' || route.idempotency === 'rerun') return undefined;
  const raw = request.headers.get(IDEMPOTENCY_HEADER);
  if (raw === null) return undefined;
  // Sent as a structured-field string ("...") or bare; either way the same key.
  const key = raw.trim().replace(/^"(.*)"$/, '$1');
  if (!KEY_FORMAT.test(key)) {
    throw problems.validation([{ field: `headers/${IDEMPOTENCY_HEADER}`, message: 'must be 1 to 255 printable ASCII characters, e.g. a UUID' }]);
  }
  return key;
}

/** The request a key stands for: the same key with another route, path, query or body is another request. */
export function requestFingerprint(route: AnyRoute, request: HttpRequest, body: unknown): string {
  const url = new URL(request.url);
  return createHash('sha256')
    .update(`${route.name}\u0000${url.pathname}\u0000${url.search}\u0000${JSON.stringify(body ?? null)}`)
    .digest('base64url');
}

export interface IdempotentRun {
  store: IdempotencyStore;
  deadlines: RequestDeadlines;
  caller: string;
  key: string;
  fingerprint: string;
}

/**
 * Runs a POST once per key. The request is detached from the response deadline as soon as
 * it claims its key: a stalled database then answers the caller 503 at the deadline, while
 * the writes it already sent are carried through and their response recorded, so the
 * caller's retry gets that response instead of writing twice.
 */
export async function runOnce(
  run: IdempotentRun,
  execute: () => Promise<{ response: HttpResponseInit; result: RouteResult<unknown> }>,
): Promise<HttpResponseInit> {
  run.deadlines.detach();
  const begun = await run.store.begin(run.caller, run.key, run.fingerprint);
  if (begun.kind === 'replay') return replayed(begun.response);
  let outcome: { response: HttpResponseInit; result: RouteResult<unknown> };
  try {
    outcome = await execute();
  } catch (error) {
    // Still here, so this attempt is over: the key is free for the retry (a refusal changed nothing).
    await run.store.release(begun.reservation).catch(() => undefined);
    throw error;
  }
  const { response, result } = outcome;
  const mentions = [...mentionedIds(isRaw(result) ? undefined : result.body), ...(result.auditTargets ?? [])];
  await completeWithRetries(run.store, begun.reservation, stored(response), mentions);
  return response;
}

async function completeWithRetries(store: IdempotencyStore, reservation: Reservation, response: StoredResponse, mentions: readonly string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await store.complete(reservation, response, mentions);
      return;
    } catch (error) {
      // Unrecorded, a repeat would run again after the lease: worth a few tries before giving up.
      if (attempt >= 3 || error instanceof HttpProblem) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

function stored(response: HttpResponseInit): StoredResponse {
  const headers = Object.fromEntries(
    Object.entries((response.headers ?? {}) as Record<string, string>).filter(([name]) => REPLAYED_HEADERS.includes(name.toLowerCase())),
  );
  const body = response.body;
  if (body === undefined || body === null) return { status: response.status ?? 200, headers };
  if (typeof body === 'string') return { status: response.status ?? 200, headers, body };
  return { status: response.status ?? 200, headers, rawBase64: Buffer.from(body as Uint8Array).toString('base64') };
}

function replayed(response: StoredResponse): HttpResponseInit {
  const body = response.body ?? (response.rawBase64 === undefined ? undefined : Buffer.from(response.rawBase64, 'base64'));
  return { status: response.status, headers: { ...response.headers, 'Idempotent-Replayed': 'true' }, ...(body === undefined ? {} : { body }) };
}

/** The ids a response names (`id`, `…Id`, `…Ids`, at any depth): erasure removes stored responses that name the person. */
function mentionedIds(body: unknown): string[] {
  const found: string[] = [];
  const visit = (value: unknown, key: string | undefined, depth: number): void => {
    if (depth > 6 || value === null || value === undefined) return;
    if (typeof value === 'string') {
      if (key !== undefined && (key === 'id' || /(Id|Ids)$/.test(key))) found.push(value);
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) visit(item, key, depth + 1);
      return;
    }
    if (typeof value === 'object') for (const [name, inner] of Object.entries(value)) visit(inner, name, depth + 1);
  };
  visit(body, undefined, 0);
  return [...new Set(found)];
}
