import type { z } from 'zod';
import { operationDescription, TAGS } from './api-vocabulary.js';
import { exampleOf, toJsonSchema, type JsonSchema } from './openapi-schema.js';
import { HEADERS, headerRef, problemResponseName, problemResponses, problemSchemas } from './openapi-responses.js';
import type { AnyRoute } from './route.js';

const COMMON_ERROR_STATUSES = [400, 500, 503];
const AUTH_ERROR_STATUSES = [401, 403, 404];

function objectProperties(schema: z.ZodObject<z.ZodRawShape> | undefined): [string, JsonSchema, boolean][] {
  if (!schema) return [];
  const json = toJsonSchema(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => [name, property, required.has(name)]);
}

/** Values of a parameter that the route's schema checks only by form, known from other declarations (the jobs). */
export interface DocumentOptions {
  parameterValues?: Readonly<Record<string, readonly string[]>>;
}

/** A parameter carries its schema's description, where Swagger UI shows it. */
function parameter(name: string, location: 'path' | 'query', schema: JsonSchema, required: boolean, options: DocumentOptions): JsonSchema {
  const { description, ...rest } = schema;
  const values = options.parameterValues?.[name];
  const withValues = values ? { ...rest, enum: [...values], examples: [values[0]] } : rest;
  return { name, in: location, required, ...(description === undefined ? {} : { description }), schema: withValues };
}

const PARAMETERS: Record<string, JsonSchema> = {
  IfMatch: {
    name: 'If-Match',
    in: 'header',
    required: true,
    description: 'The `ETag` from your last read of the resource. Without it 428; if the resource changed since, 412 (read again and reapply).',
    schema: { type: 'string', examples: ['"0b00c4d2-0000-0d00-0000-66f1a2b30000"'] },
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description: 'A key you choose per intended request (e.g. a UUID). A repeat with the same key and body gets the first response and writes nothing; the same key with another body is 422; while the first is running, 409. Keys expire after 24 hours.',
    schema: { type: 'string', minLength: 1, maxLength: 255, examples: ['5d0f8a8e-3c2b-4d7a-9b61-0e4f2a1c7d93'] },
  },
  IdempotencyKeyRerun: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description: 'Accepted, but a repeat runs again: the response carries a fresh credential, which is never stored.',
    schema: { type: 'string', minLength: 1, maxLength: 255, examples: ['5d0f8a8e-3c2b-4d7a-9b61-0e4f2a1c7d93'] },
  },
};

const parameterRef = (name: keyof typeof PARAMETERS & string): JsonSchema => ({ $ref: `#/components/parameters/${name}` });

/**
 * The routes that answer with a versioned resource, so with its ETag: on a path whose changes
 * need If-Match, its read and its changes; and a create that answers with that same resource
 * (the read's schema) rather than a receipt.
 */
function etagRoutes(routes: readonly AnyRoute[]): Set<AnyRoute> {
  const versioned = new Set(routes.filter((route) => route.requiresIfMatch).map((route) => route.path));
  const reads = routes.filter((route) => route.method === 'GET' && versioned.has(route.path));
  return new Set([
    ...reads,
    ...routes.filter((route) => route.requiresIfMatch),
    ...routes.filter((route) => route.method === 'POST' && route.successStatus === 201 && reads.some((read) =>
      read.response === route.response && read.path.startsWith(`${route.path}/{`) && !read.path.slice(route.path.length + 1).includes('/'))),
  ]);
}

function successHeaders(route: AnyRoute, etag: boolean): Record<string, JsonSchema> {
  const limited = (route.rateLimits ?? []).length > 0;
  return {
    'x-request-id': headerRef('RequestId'),
    'Access-Control-Allow-Origin': headerRef('AccessControlAllowOrigin'),
    ...(etag ? { ETag: headerRef('ETag') } : {}),
    ...(route.location ? { Location: headerRef('Location') } : {}),
    ...(route.download ? { 'Content-Disposition': headerRef('ContentDisposition') } : {}),
    ...(limited ? { RateLimit: headerRef('RateLimit'), 'RateLimit-Policy': headerRef('RateLimitPolicy') } : {}),
  };
}

function jsonContent(schema: JsonSchema): JsonSchema {
  const example = exampleOf(schema);
  return { schema, ...(example === undefined ? {} : { example }) };
}

function successContent(route: AnyRoute): JsonSchema | undefined {
  if (route.rawContentType) {
    const formats = route.download?.formats;
    if (!formats) return { [route.rawContentType]: { schema: { type: 'string', description: 'The file.' } } };
    return Object.fromEntries(
      Object.entries(formats).map(([format, mediaType]) => [
        mediaType,
        { schema: { type: mediaType === 'application/json' ? 'object' : 'string', description: `The file, with \`?format=${format}\`.` } },
      ]),
    );
  }
  return route.response ? { 'application/json': jsonContent(toJsonSchema(route.response, 'output')) } : undefined;
}

function errorStatuses(route: AnyRoute): number[] {
  return [
    ...new Set([
      ...COMMON_ERROR_STATUSES,
      ...(route.access.kind === 'public' ? [] : AUTH_ERROR_STATUSES),
      ...(route.body ? [413, 415] : []),
      ...(route.requiresIfMatch ? [412, 428] : []),
      ...(route.errorStatuses ?? []),
      ...(route.method === 'POST' && route.idempotency !== 'rerun' ? [409, 422] : []),
      // Deployed, the API Management gateway limits every route per client IP (infra/app/gateway.bicep).
      429,
    ]),
  ].sort();
}

function operation(route: AnyRoute, etag: boolean, options: DocumentOptions): JsonSchema {
  const parameters = [
    ...objectProperties(route.params).map(([name, schema]) => parameter(name, 'path', schema, true, options)),
    ...objectProperties(route.query).map(([name, schema, required]) => parameter(name, 'query', schema, required, options)),
    ...(route.requiresIfMatch ? [parameterRef('IfMatch')] : []),
    ...(route.method === 'POST' ? [parameterRef(route.idempotency === 'rerun' ? 'IdempotencyKeyRerun' : 'IdempotencyKey')] : []),
  ];
  const content = successContent(route);
  const success = {
    description: content ? 'Success' : 'Success, no content',
    headers: successHeaders(route, etag),
    ...(content ? { content } : {}),
  };
  const responses: Record<string, unknown> = { [String(route.successStatus)]: success };
  for (const status of errorStatuses(route)) responses[String(status)] = { $ref: `#/components/responses/${problemResponseName(status)}` };
  const limits = route.rateLimits ?? [];
  return {
    operationId: route.name,
    summary: route.summary,
    description: operationDescription(route),
    tags: [route.tag],
    ...(route.access.kind === 'public' ? { security: [] } : {}),
    ...(route.access.kind === 'roles' ? { 'x-roles': route.access.roles } : {}),
    ...(limits.length > 0
      ? { 'x-rate-limits': limits.map(({ name, quota, windowSeconds, per }) => ({ name, quota, windowSeconds, per })) }
      : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': jsonContent(toJsonSchema(route.body, 'input')) } } }
      : {}),
    responses,
  };
}

/** OpenAPI 3.1 from the route definitions: the same schemas that validate requests, the same declarations that drive the dispatcher. */
export function buildOpenApiDocument(routes: readonly AnyRoute[], version: string, options: DocumentOptions = {}): JsonSchema {
  const withEtag = etagRoutes(routes);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = `/api${route.path}`;
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route, withEtag.has(route), options);
  }
  const tags = [...new Set(routes.map((route) => route.tag))].sort();
  return {
    openapi: '3.1.0',
    info: {
      title: 'Engage backend API',
      version,
      description: [
        'The backend of Engage, a Norwegian school platform: municipalities (kommuner) register schools, staff and students and record screening tests (kartlegginger), evaluations (vurderinger) and grades (karakterer).',
        '',
        'Authenticate with a bearer token from the municipality\'s identity provider (or, in a browser, the session cookie from `POST /api/session`). Each operation says which roles may call it. Errors are RFC 9457 problems (`application/problem+json`) whose `type` is stable (listed under the `ProblemType` schema and in docs/api-contract.md). Lists take `limit` (at most 100) and `continuationToken`. Changes to versioned resources need `If-Match` with the `ETag` of your last read. Every response carries `x-request-id`. Send `Accept-Language: nb` to get problem titles and details in Norwegian bokmål.',
      ].join('\n'),
      contact: { name: 'Engage support', url: 'https://engage.example.no/support' },
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: '/', description: 'This host: production in Azure (EU/EEA), or the local development host of `npm start`.', 'x-internal': false }],
    security: [{ bearer: [] }],
    tags: tags.map((name) => ({ name, description: TAGS[name] ?? '' })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An ID token (JWS) of the municipality\'s identity provider (Feide, Entra ID); locally, `npm run token -- <subject>`. Verified per RFC8725: only the asymmetric algorithms configured for the issuer (never `none` or HS*), issuer, audience and expiry checked.' },
      },
      schemas: problemSchemas,
      parameters: PARAMETERS,
      headers: HEADERS,
      responses: problemResponses(routes.flatMap(errorStatuses)),
    },
  };
}
