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

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
  }

  toBody(): ProblemBody {
    return {
      type: problemType(this.slug),
      title: this.title,
      status: this.status,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      ...this.extensions,
    };
  }
}

export function problemType(slug: string): string {
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
