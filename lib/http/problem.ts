import { detailNb, TITLES_NB, type ProblemLanguage } from './problem-language.js';

/** RFC 9457 problem details. `detail` never carries caller-supplied values: they may be personal data. */
export interface FieldError {
  /** JSON-pointer-like location, e.g. "body/identity/issuer" or "query/limit". */
  field: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/**
 * Every problem type the API answers with: its status, what it means and what a client should do.
 * The OpenAPI document lists them from here (lib/http/openapi-responses.ts, docs/api-contract.md),
 * and an HttpProblem can only be made with one of these slugs, so the list is complete.
 */
export const PROBLEM_TYPES = {
  'validation': { status: 400, title: 'Invalid request', meaning: 'One or more fields, query parameters or headers are invalid. `errors` lists each `field` (e.g. `body/birthDate`) with a message; values the caller sent are never echoed. Fix the named fields and send again.' },
  'malformed-json': { status: 400, title: 'Malformed JSON body', meaning: 'The body is not valid JSON.' },
  'invalid-continuation-token': { status: 400, title: 'Invalid continuation token', meaning: 'The `continuationToken` was not issued by this list for this caller (or has been tampered with). Start the list again without it.' },
  'unauthenticated': { status: 401, title: 'Authentication required', meaning: 'No valid bearer token (or, in a browser, session cookie): missing, expired, from an unknown issuer, or the session ended. Sign in again.' },
  'forbidden': { status: 403, title: 'Forbidden', meaning: "The caller's roles do not allow this operation, or a rule of the role model refuses it (the detail says which). Do not retry." },
  'consent-required': { status: 403, title: 'Consent required', meaning: 'This needs the user\'s consent to a purpose (P9), which they have not given. Ask for it (PUT /api/me/consents/{purpose}) or leave it.' },
  'csrf-check-failed': { status: 403, title: 'Forbidden', meaning: 'A change made with a session cookie lacks `X-Requested-With: engage` or comes from an origin that may not use the session.' },
  'not-found': { status: 404, title: 'Not found', meaning: 'No such resource, or one the caller may not see: a student outside the teacher\'s visibility (P5) or another municipality\'s data answers exactly like a missing one. Show "not found", not "forbidden".' },
  'method-not-allowed': { status: 405, title: 'Method not allowed', meaning: 'The path exists but not with this method; `Allow` lists the methods it has.' },
  'conflict': { status: 409, title: 'Conflict', meaning: 'The request contradicts the current state (the detail says how: e.g. the id is taken, the school still has students). Change the state first; repeating the same request will not help.' },
  'idempotency-key-in-use': { status: 409, title: 'Request in progress', meaning: 'A request with this `Idempotency-Key` is still running. Retry after `Retry-After` seconds with the same key.' },
  'gone': { status: 410, title: 'Gone', meaning: 'The resource existed but has expired (e.g. an export older than its retention). Request a new one.' },
  'precondition-failed': { status: 412, title: 'Precondition failed', meaning: 'The `If-Match` ETag is not the current one: someone changed the resource since you read it. Read it again, reapply the change, send with the new ETag.' },
  'payload-too-large': { status: 413, title: 'Payload too large', meaning: 'The body is larger than the limit (1 MiB by default).' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type', meaning: 'Bodies are `application/json` (PATCH also `application/merge-patch+json`).' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency key reused', meaning: 'This `Idempotency-Key` was used before with a different request. Use a new key for a new request.' },
  'disclosure-required': { status: 422, title: 'A registered disclosure is required', meaning: 'An export to a third party needs a registered disclosure (P13) that matches it.' },
  'precondition-required': { status: 428, title: 'Precondition required', meaning: 'This change needs `If-Match` with the ETag from your last read of the resource.' },
  'rate-limited': { status: 429, title: 'Too many requests', meaning: 'A limit of this route is used up. Wait `Retry-After` seconds; `RateLimit` and `RateLimit-Policy` name the limit.' },
  'export-file-missing': { status: 500, title: 'Export file missing', meaning: 'The export is recorded as ready but its file is missing from storage: lost on our side, not expired and not your mistake. It is logged as an incident; quote `x-request-id` to support, and request a new export.' },
  'internal': { status: 500, title: 'Internal error', meaning: 'Something failed on our side. The detail carries the request id (also in `x-request-id`) to quote to support.' },
  'unavailable': { status: 503, title: 'Service unavailable', meaning: 'A dependency is busy or did not answer in time; nothing was changed. Retry after `Retry-After` seconds.' },
} as const satisfies Record<string, { status: number; title: string; meaning: string }>;

export type ProblemSlug = keyof typeof PROBLEM_TYPES;

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: ProblemSlug,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
  }

  /** The body in the caller's language: `title` and `detail` translated, `type` and the rest unchanged. */
  toBody(language: ProblemLanguage = 'en'): ProblemBody {
    const nb = language === 'nb';
    return {
      type: problemType(this.slug),
      title: nb ? TITLES_NB[this.slug] : this.title,
      status: this.status,
      ...(this.detail === undefined ? {} : { detail: nb ? detailNb(this.slug, this.detail) : this.detail }),
      ...this.extensions,
    };
  }
}

export function problemType(slug: ProblemSlug): string {
  return `urn:engage:problem:${slug}`;
}

/** A caller can make any number of fields fail; the answer stays small. */
const MAX_FIELD_ERRORS = 20;

export const problems = {
  validation: (errors: FieldError[]) =>
    new HttpProblem(400, 'validation', 'Invalid request',
      `${errors.length} field(s) failed validation${errors.length > MAX_FIELD_ERRORS ? `; the first ${MAX_FIELD_ERRORS} are listed` : ''}`,
      { errors: errors.slice(0, MAX_FIELD_ERRORS) }),
  malformedJson: () => new HttpProblem(400, 'malformed-json', 'Malformed JSON body', 'The request body is not valid JSON'),
  unauthenticated: (reason: string) =>
    new HttpProblem(401, 'unauthenticated', 'Authentication required', reason, {}, {
      'WWW-Authenticate': `Bearer realm="engage", error="invalid_token", error_description="${reason.replace(/"/g, "'")}"`,
    }),
  forbidden: (detail = 'Your roles do not allow this operation') =>
    new HttpProblem(403, 'forbidden', 'Forbidden', detail),
  notFound: (detail = 'No such resource') => new HttpProblem(404, 'not-found', 'Not found', detail),
  methodNotAllowed: (allowed: string[]) =>
    new HttpProblem(405, 'method-not-allowed', 'Method not allowed', `Allowed: ${allowed.join(', ')}`, {}, {
      Allow: allowed.join(', '),
    }),
  conflict: (detail: string) => new HttpProblem(409, 'conflict', 'Conflict', detail),
  preconditionFailed: () =>
    new HttpProblem(412, 'precondition-failed', 'Precondition failed', 'The resource changed since you read it; read it again'),
  payloadTooLarge: (limit: number) =>
    new HttpProblem(413, 'payload-too-large', 'Payload too large', `The body exceeds ${limit} bytes`),
  unsupportedMediaType: (accepted: string[]) =>
    new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', `Send ${accepted.join(' or ')}`, {}, {
      'Accept-Patch': accepted.join(', '),
    }),
  preconditionRequired: () =>
    new HttpProblem(428, 'precondition-required', 'Precondition required', 'Send If-Match with the ETag you read'),
  unavailable: (detail: string, retryAfterSeconds?: number) =>
    new HttpProblem(503, 'unavailable', 'Service unavailable', detail, {},
      retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) }),
  internal: (requestId: string) =>
    new HttpProblem(500, 'internal', 'Internal error', `Something failed on our side; reference ${requestId}`),
};
