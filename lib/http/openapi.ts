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

function operation(route: AnyRoute): JsonSchema {
  const parameters = [
    ...objectProperties(route.params).map(([name, schema]) => ({ name, in: 'path', required: true, schema })),
    ...objectProperties(route.query).map(([name, schema, required]) => ({ name, in: 'query', required, schema })),
    ...(route.requiresIfMatch ? [{ name: 'If-Match', in: 'header', required: true, schema: { type: 'string' } }] : []),
  ];
  const success = route.rawContentType
    ? { description: 'Success', content: { [route.rawContentType]: { schema: { type: 'string' } } } }
    : route.response
      ? { description: 'Success', content: { 'application/json': { schema: toJsonSchema(route.response, 'output') } } }
      : { description: 'Success, no content' };
  const errorStatuses = new Set([
    ...COMMON_ERROR_STATUSES,
    ...(route.access.kind === 'public' ? [] : AUTH_ERROR_STATUSES),
    ...(route.body ? [413, 415] : []),
    ...(route.requiresIfMatch ? [412, 428] : []),
    ...(route.errorStatuses ?? []),
  ]);
  const responses: Record<string, unknown> = { [String(route.successStatus)]: success };
  for (const status of [...errorStatuses].sort()) responses[String(status)] = { $ref: '#/components/responses/Problem' };
  return {
    operationId: route.name,
    summary: route.summary,
    tags: [route.tag],
    ...(route.access.kind === 'public' ? { security: [] } : {}),
    ...(route.access.kind === 'roles' ? { 'x-roles': route.access.roles } : {}),
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
        Problem: {
          description: 'An RFC 9457 problem',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      },
    },
  };
}
