import { z } from 'zod';
import type { AnyRoute } from './route.js';

type JsonSchema = Record<string, unknown>;

const COMMON_ERROR_STATUSES = [400, 500, 503];
const AUTH_ERROR_STATUSES = [401, 403, 404];

const problemSchema: JsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', format: 'uri-reference' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function objectProperties(schema: z.ZodObject<z.ZodRawShape> | undefined): [string, JsonSchema, boolean][] {
  if (!schema) return [];
  const json = toJsonSchema(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => [name, property, required.has(name)]);
}

function idempotencyKeyParameter(route: AnyRoute): JsonSchema {
  return {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description: route.idempotency === 'rerun'
      ? 'Accepted; a repeat runs again (the response carries a fresh credential, which is never stored).'
      : 'A repeat with the same key and body gets the first response and writes nothing; the same key with another body is 422; while the first is running, 409. Keys expire after 24 hours.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  };
}

const RATE_LIMIT_HEADERS = {
  'Retry-After': { description: 'Seconds until the exhausted limit resets', schema: { type: 'integer' } },
  RateLimit: { description: 'What is left of each limit: `"<name>";r=<remaining>;t=<seconds to reset>` (IETF RateLimit fields)', schema: { type: 'string' } },
  'RateLimit-Policy': { description: 'The limits: `"<name>";q=<quota>;w=<window seconds>`', schema: { type: 'string' } },
};

function operation(route: AnyRoute): JsonSchema {
  const parameters = [
    ...objectProperties(route.params).map(([name, schema]) => ({ name, in: 'path', required: true, schema })),
    ...objectProperties(route.query).map(([name, schema, required]) => ({ name, in: 'query', required, schema })),
    ...(route.requiresIfMatch ? [{ name: 'If-Match', in: 'header', required: true, schema: { type: 'string' } }] : []),
    ...(route.method === 'POST' ? [idempotencyKeyParameter(route)] : []),
  ];
  const limits = route.rateLimits ?? [];
  const limited = limits.length > 0;
  const rateLimitHeaders = limited ? { headers: { RateLimit: RATE_LIMIT_HEADERS.RateLimit, 'RateLimit-Policy': RATE_LIMIT_HEADERS['RateLimit-Policy'] } } : {};
  const success = route.rawContentType
    ? { description: 'Success', ...rateLimitHeaders, content: { [route.rawContentType]: { schema: { type: 'string' } } } }
    : route.response
      ? { description: 'Success', ...rateLimitHeaders, content: { 'application/json': { schema: toJsonSchema(route.response, 'output') } } }
      : { description: 'Success, no content', ...rateLimitHeaders };
  const errorStatuses = new Set([
    ...COMMON_ERROR_STATUSES,
    ...(route.access.kind === 'public' ? [] : AUTH_ERROR_STATUSES),
    ...(route.body ? [413, 415] : []),
    ...(route.requiresIfMatch ? [412, 428] : []),
    ...(route.errorStatuses ?? []),
    ...(route.method === 'POST' && route.idempotency !== 'rerun' ? [409, 422] : []),
  ]);
  const responses: Record<string, unknown> = { [String(route.successStatus)]: success };
  for (const status of [...errorStatuses].sort()) responses[String(status)] = { $ref: '#/components/responses/Problem' };
  if (limited) responses['429'] = { $ref: '#/components/responses/RateLimited' };
  return {
    operationId: route.name,
    summary: route.summary,
    tags: [route.tag],
    ...(route.access.kind === 'public' ? { security: [] } : {}),
    ...(route.access.kind === 'roles' ? { 'x-roles': route.access.roles } : {}),
    ...(limited
      ? { 'x-rate-limits': limits.map(({ name, quota, windowSeconds, per }) => ({ name, quota, windowSeconds, per })) }
      : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: toJsonSchema(route.body, 'input') } } } }
      : {}),
    responses,
  };
}

/** OpenAPI 3.1 from the route definitions: the same schemas that validate requests. */
export function buildOpenApiDocument(routes: readonly AnyRoute[], version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = `/api${route.path}`;
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Engage backend API',
      version,
      description:
        'Errors are RFC 9457 problem details (application/problem+json). Lists take `limit` (max 100) and `continuationToken`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: problemSchema },
      responses: {
        RateLimited: {
          description: 'A limit of this route is exhausted (RFC 9457 problem `rate-limited`)',
          headers: RATE_LIMIT_HEADERS,
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
        Problem: {
          description: 'An RFC 9457 problem',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      },
    },
  };
}
