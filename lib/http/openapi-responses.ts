import { PROBLEM_TYPES, problemType, type ProblemSlug } from './problem.js';
import type { JsonSchema } from './openapi-schema.js';

/** Response headers, each described once and referenced by every response that carries it. */
export const HEADERS: Record<string, JsonSchema> = {
  ContentLanguage: {
    description: 'The language of `title` and `detail`: `nb` (bokmål) when `Accept-Language` prefers Norwegian (`nb`, `nn` or `no`), else `en`. The `type` is the same in every language.',
    schema: { type: 'string', enum: ['en', 'nb'] },
  },
  AccessControlAllowOrigin: {
    description: 'Sent when the request\'s `Origin` is one of the frontend origins the deployment allows (`CORS_ALLOWED_ORIGINS`), with credentials; absent for any other origin.',
    schema: { type: 'string', examples: ['https://engage.bergen.kommune.no'] },
  },
  RequestId: {
    description: 'Id of this request; quote it to support. Sent on every response, errors included (also inside a 500 problem).',
    schema: { type: 'string', examples: ['7c1e4b52-0f3a-4d8e-b6a9-1d2c3e4f5a6b'] },
  },
  ETag: {
    description: 'Version of the resource. Send it back as `If-Match` to change the resource; a stale one answers 412.',
    schema: { type: 'string', examples: ['"0b00c4d2-0000-0d00-0000-66f1a2b30000"'] },
  },
  Location: {
    description: 'Where the created resource (201) or the accepted work (202) can be read.',
    schema: { type: 'string', format: 'uri-reference', examples: ['/api/municipalities/4601/students/3f6c1b9e-8a2d-4c57-9e1f-2b7d5a4c8e10'] },
  },
  ContentDisposition: {
    description: 'The file is an attachment, with its file name.',
    schema: { type: 'string', examples: ['attachment; filename="avgangsrapport-3f6c1b9e-8a2d-4c57-9e1f-2b7d5a4c8e10.pdf"'] },
  },
  RetryAfter: {
    description: 'Seconds to wait before trying again.',
    schema: { type: 'integer', minimum: 0, examples: [5] },
  },
  RateLimit: {
    description: 'What is left of each limit of the route: `"<name>";r=<remaining>;t=<seconds to reset>` (IETF RateLimit header fields).',
    schema: { type: 'string', examples: ['"complaint-intake";r=4;t=3120'] },
  },
  RateLimitPolicy: {
    description: 'The limits of the route: `"<name>";q=<quota>;w=<window in seconds>`.',
    schema: { type: 'string', examples: ['"complaint-intake";q=5;w=3600'] },
  },
  WWWAuthenticate: {
    description: 'The bearer challenge (RFC 6750), with why the token was refused.',
    schema: { type: 'string', examples: ['Bearer realm="engage", error="invalid_token", error_description="the token has expired"'] },
  },
};

export const headerRef = (name: keyof typeof HEADERS & string): JsonSchema => ({ $ref: `#/components/headers/${name}` });

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'PreconditionFailed',
  413: 'ContentTooLarge',
  415: 'UnsupportedMediaType',
  422: 'UnprocessableContent',
  428: 'PreconditionRequired',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/** Extra headers a problem of this status carries. */
function problemHeaders(status: number): Record<string, JsonSchema> {
  return {
    'x-request-id': headerRef('RequestId'),
    'Access-Control-Allow-Origin': headerRef('AccessControlAllowOrigin'),
    'Content-Language': headerRef('ContentLanguage'),
    ...(status === 401 ? { 'WWW-Authenticate': headerRef('WWWAuthenticate') } : {}),
    ...(status === 429 || status === 503 || status === 409 ? { 'Retry-After': headerRef('RetryAfter') } : {}),
    ...(status === 429 ? { RateLimit: headerRef('RateLimit'), 'RateLimit-Policy': headerRef('RateLimitPolicy') } : {}),
  };
}

const EXAMPLE_DETAILS: Partial<Record<ProblemSlug, Record<string, unknown>>> = {
  'validation': { detail: '1 field(s) failed validation', errors: [{ field: 'body/birthDate', message: 'Invalid ISO date' }] },
  'invalid-continuation-token': { detail: 'The continuation token is not one this list issued', errors: [{ field: 'query/continuationToken', message: 'not a token issued for this list' }] },
  'unauthenticated': { detail: 'a bearer token is required' },
  'forbidden': { detail: 'Your roles do not allow this operation' },
  'not-found': { detail: 'No such resource' },
  'conflict': { detail: 'The school still has students, groups or staff' },
  'rate-limited': { detail: 'The limit "complaint-intake" allows 5 per 3600 s; retry after 3120 s' },
  'unavailable': { detail: 'The database did not answer in time; nothing was changed', },
  'internal': { detail: 'Something failed on our side; reference 7c1e4b52-0f3a-4d8e-b6a9-1d2c3e4f5a6b' },
};

function problemExample(slug: ProblemSlug): JsonSchema {
  const { status, title, meaning } = PROBLEM_TYPES[slug];
  return {
    summary: slug,
    description: meaning,
    value: { type: problemType(slug), title, status, ...(EXAMPLE_DETAILS[slug] ?? {}) },
  };
}

const SLUGS = Object.keys(PROBLEM_TYPES) as ProblemSlug[];

/** What a status means beyond its problem types. */
const STATUS_NOTES: Record<number, string> = {
  429: 'Two limits answer 429: a limit the route declares per caller or platform-wide (the problem `rate-limited`, with `RateLimit` and `RateLimit-Policy`; the operation lists them under `x-rate-limits`), and, when deployed, the API Management gateway\'s limit per client IP on every route (`Retry-After` and `Edge-RateLimit-*` headers, a body that is not a problem). Either way: wait `Retry-After` seconds.',
};

/** The shared response of a status: every problem type it can carry, each explained with an example. */
function problemResponse(status: number): JsonSchema {
  const slugs = SLUGS.filter((slug) => PROBLEM_TYPES[slug].status === status);
  return {
    description: [
      ...(STATUS_NOTES[status] ? [STATUS_NOTES[status], ''] : []),
      `RFC 9457 problem (\`application/problem+json\`). Types with this status:`,
      ...slugs.map((slug) => `- \`${problemType(slug)}\`: ${PROBLEM_TYPES[slug].meaning}`),
    ].join('\n'),
    headers: problemHeaders(status),
    content: {
      'application/problem+json': {
        schema: { $ref: '#/components/schemas/Problem' },
        examples: Object.fromEntries(slugs.map((slug) => [slug, problemExample(slug)])),
      },
    },
  };
}

/** The component name of the shared problem response of a status. */
export function problemResponseName(status: number): string {
  const reason = REASONS[status];
  if (!reason) throw new Error(`No problem type is declared with status ${status}`);
  return reason;
}

export function problemResponses(statuses: Iterable<number>): Record<string, JsonSchema> {
  return Object.fromEntries([...new Set(statuses)].sort().map((status) => [problemResponseName(status), problemResponse(status)]));
}

export const problemSchemas: Record<string, JsonSchema> = {
  ProblemType: {
    description: 'The stable identifier of a kind of problem; map it to a message in your own language. `title` and `detail` are in English, or in Norwegian bokmål when `Accept-Language` prefers it (`Content-Language` says which), and may be shown as they are.',
    type: 'string',
    oneOf: SLUGS.map((slug) => ({ const: problemType(slug), title: slug, description: `${PROBLEM_TYPES[slug].status}: ${PROBLEM_TYPES[slug].meaning}` })),
  },
  Problem: {
    description: 'RFC 9457 problem details. `detail` never repeats a value the caller sent (it could be personal data).',
    type: 'object',
    required: ['type', 'title', 'status'],
    properties: {
      type: { $ref: '#/components/schemas/ProblemType' },
      title: { type: 'string', description: 'Short, the same for every problem of the type, in the language of `Content-Language`.', examples: ['Invalid request'] },
      status: { type: 'integer', description: 'The HTTP status, repeated.', examples: [400] },
      detail: { type: 'string', description: 'What went wrong in this case, in the language of `Content-Language`.', examples: ['1 field(s) failed validation'] },
      errors: {
        type: 'array',
        description: 'For `validation`: each failed field, at most 20.',
        items: {
          type: 'object',
          required: ['field', 'message'],
          properties: {
            field: { type: 'string', description: 'Where: `body/…`, `query/…`, `params/…` or `headers/…`; a key the caller chose is `*`.', examples: ['body/birthDate'] },
            message: { type: 'string', description: 'What is wrong with it (English).', examples: ['Invalid ISO date'] },
          },
        },
      },
    },
  },
};
