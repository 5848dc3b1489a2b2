import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureRoutes } from '../../lib/app/feature.js';
import { FEATURES } from '../../lib/features.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let test: TestApp;

beforeAll(async () => {
  test = await startTestApp();
});
afterAll(() => test.close());

describe('OpenAPI document and docs page', () => {
  it('is a valid OpenAPI 3.1 document according to the official schema', async () => {
    const response = await test.request('GET', '/openapi.json');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(response.body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every route the host serves, each with its problem responses', async () => {
    const document = (await test.request('GET', '/openapi.json')).body;
    const listed = Object.entries(document.paths as Record<string, Record<string, { operationId: string; responses: object }>>)
      .flatMap(([path, operations]) => Object.entries(operations).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`))
      .sort();
    const served = featureRoutes(FEATURES).map((route) => `${route.method} /api${route.path} ${route.name}`);
    for (const route of served) expect(listed).toContain(route);
    expect(listed).toContain('POST /api/dev/token dev-token');
    const me = document.paths['/api/me'].get;
    expect(Object.keys(me.responses)).toEqual(expect.arrayContaining(['200', '401', '403']));
    expect(document.paths['/api/municipalities/{municipalityId}/settings'].patch.parameters).toContainEqual(
      expect.objectContaining({ name: 'If-Match', in: 'header', required: true }),
    );
  });

  it('serves a docs page whose assets come from the installed package, not a CDN', async () => {
    const page = await test.request('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).not.toMatch(/https?:\/\//);
    for (const asset of ['swagger-ui.css', 'swagger-ui-bundle.js', 'init.js']) {
      const response = await test.request('GET', `/docs/${asset}`);
      expect(response.status).toBe(200);
      expect(response.text.length).toBeGreaterThan(20);
    }
    expect((await test.request('GET', '/docs/package.json')).status).toBe(400);
  });
});
