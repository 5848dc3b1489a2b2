import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { JobService } from '../jobs/job-service.js';
import { buildOpenApiDocument } from './openapi.js';
import { defineRoute, type AnyRoute } from './route.js';

const DOCS_ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'init.js': 'text/javascript; charset=utf-8',
} as const;

const DOCS_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'";

const docsPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Engage backend API</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div><script src="/api/docs/swagger-ui-bundle.js"></script><script src="/api/docs/init.js"></script></body>
</html>`;

const docsInit = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true });`;

function swaggerUiDirectory(): string {
  // Assets come from the installed npm package; the page loads nothing from a CDN.
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

/** The document is built once per route list (the local host's list has the dev-issuer routes too). */
const openApiJson = new WeakMap<readonly AnyRoute[], string>();

function openApiOf(routes: readonly AnyRoute[], version: string, jobs: JobService): string {
  let json = openApiJson.get(routes);
  if (json === undefined) {
    json = JSON.stringify(buildOpenApiDocument(routes, version, { parameterValues: { job: jobs.definitions.map((job) => job.name) } }));
    openApiJson.set(routes, json);
  }
  return json;
}

/** The OpenAPI document of every route the host serves, and its docs page. */
export const apiDocsRoutes: AnyRoute[] = [
  defineRoute({
    name: 'openapi',
    method: 'GET',
    path: '/openapi.json',
    summary: 'OpenAPI 3.1 document generated from the route definitions',
    description: 'This document, generated from the route declarations that also validate every request, so it cannot drift from what the API does.',
    tag: 'operations',
    access: { kind: 'public' },
    rawContentType: 'application/json',
    successStatus: 200,
    uses: ['apiRoutes', 'config', 'jobs'],
    handler: async (_request, services) => ({
      status: 200,
      raw: openApiOf(services.apiRoutes, services.config.version, services.jobs),
      contentType: 'application/json; charset=utf-8',
    }),
  }),
  defineRoute({
    name: 'docs',
    method: 'GET',
    path: '/docs',
    summary: 'API documentation page',
    description: 'Swagger UI over this document. Its assets are served from the installed package; the page loads nothing from elsewhere.',
    tag: 'operations',
    access: { kind: 'public' },
    rawContentType: 'text/html',
    successStatus: 200,
    uses: [],
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
    description: 'A static file of the documentation page (stylesheet, script).',
    tag: 'operations',
    access: { kind: 'public' },
    params: z.strictObject({ asset: z.enum(Object.keys(DOCS_ASSETS) as [keyof typeof DOCS_ASSETS]) }),
    rawContentType: 'text/plain',
    successStatus: 200,
    uses: [],
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
