import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { buildOpenApiDocument } from '../../lib/http/openapi.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';

const healthSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  version: z.string(),
  checks: z.object({ cosmos: z.enum(['ok', 'unavailable']), blob: z.enum(['ok', 'unavailable']) }),
});

const DOCS_ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'init.js': 'text/javascript; charset=utf-8',
} as const;

const DOCS_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'";

const docsPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Engage backend API</title><link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div><script src="/api/docs/swagger-ui-bundle.js"></script><script src="/api/docs/init.js"></script></body>
</html>`;

const docsInit = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true });`;

function swaggerUiDirectory(): string {
  // Assets come from the installed npm package; the page loads nothing from a CDN.
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

/** Health, the OpenAPI document and its docs page; `listRoutes` is every route the host serves. */
export function metaRoutes(listRoutes: () => readonly AnyRoute[]): AnyRoute[] {
  let openApiJson: string | undefined;
  return [
    defineRoute({
      name: 'health',
      method: 'GET',
      path: '/health',
      summary: 'Status of Cosmos DB and Blob Storage; 503 names the one that failed',
      tag: 'operations',
      access: { kind: 'public' },
      response: healthSchema,
      successStatus: 200,
      handler: async (_request, services) => {
        const report = await services.health();
        if (report.status === 'ok') return { status: 200, body: report };
        return {
          status: 503,
          raw: JSON.stringify({
            type: 'urn:engage:problem:unhealthy',
            title: 'Service unavailable',
            status: 503,
            detail: `Unavailable: ${Object.entries(report.checks).filter(([, s]) => s !== 'ok').map(([n]) => n).join(', ')}`,
            version: report.version,
            checks: report.checks,
          }),
          contentType: 'application/problem+json; charset=utf-8',
          headers: { 'Retry-After': '10' },
        };
      },
    }),
    defineRoute({
      name: 'openapi',
      method: 'GET',
      path: '/openapi.json',
      summary: 'OpenAPI 3.1 document generated from the route definitions',
      tag: 'operations',
      access: { kind: 'public' },
      rawContentType: 'application/json',
      successStatus: 200,
      handler: async (_request, services) => {
        openApiJson ??= JSON.stringify(buildOpenApiDocument(listRoutes(), services.config.version));
        return { status: 200, raw: openApiJson, contentType: 'application/json; charset=utf-8' };
      },
    }),
    defineRoute({
      name: 'docs',
      method: 'GET',
      path: '/docs',
      summary: 'API documentation page',
      tag: 'operations',
      access: { kind: 'public' },
      rawContentType: 'text/html',
      successStatus: 200,
      handler: async () => ({
        status: 200,
        raw: docsPage,
        contentType: 'text/html; charset=utf-8',
        headers: { 'Content-Security-Policy': DOCS_CSP, 'Cache-Control': 'public, max-age=300' },
      }),
    }),
    defineRoute({
      name: 'docs-asset',
      method: 'GET',
      path: '/docs/{asset}',
      summary: 'Static assets of the documentation page',
      tag: 'operations',
      access: { kind: 'public' },
      params: z.strictObject({ asset: z.enum(Object.keys(DOCS_ASSETS) as [keyof typeof DOCS_ASSETS]) }),
      rawContentType: 'text/plain',
      successStatus: 200,
      handler: async ({ params }) => {
        const asset = params.asset;
        const raw = asset === 'init.js' ? docsInit : await readFile(join(swaggerUiDirectory(), asset));
        return {
          status: 200,
          raw,
          contentType: DOCS_ASSETS[asset],
          headers: { 'Cache-Control': 'public, max-age=86400' },
        };
      },
    }),
  ];
}
