import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureJobs, featureRoutes } from '../../lib/app/feature.js';
import { FEATURES } from '../../lib/features.js';
import { PROBLEM_TYPES, problemType } from '../../lib/http/problem.js';
import type { AnyRoute } from '../../lib/http/route.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

type Json = Record<string, any>;

let test: TestApp;
let document: Json;

beforeAll(async () => {
  test = await startTestApp();
  document = (await test.request('GET', '/openapi.json')).body;
});
afterAll(() => test.close());

const routes = featureRoutes(FEATURES);

function operationOf(route: AnyRoute): Json {
  return document.paths[`/api${route.path}`][route.method.toLowerCase()];
}

function resolve(node: Json): Json {
  if (typeof node.$ref !== 'string') return node;
  const [, , section = '', name = ''] = node.$ref.split('/');
  return document.components[section][name];
}

function parametersOf(route: AnyRoute): Json[] {
  return (operationOf(route).parameters ?? []).map(resolve);
}

function responseOf(route: AnyRoute, status: number): Json | undefined {
  const response = operationOf(route).responses[String(status)];
  return response && resolve(response);
}

function everyResponse(): [string, string, Json][] {
  return Object.entries(document.paths as Record<string, Json>).flatMap(([path, operations]) =>
    Object.values(operations as Record<string, Json>).flatMap((operation) =>
      Object.entries(operation.responses as Record<string, Json>).map(([status, response]) => [`${operation.operationId}`, status, resolve(response)] as [string, string, Json]),
    ).map(([id, status, response]) => [`${path} ${id}`, status, response] as [string, string, Json]),
  );
}

/** Every place in the document where a value sits under `key`. */
function valuesOf(node: unknown, key: string, found: unknown[] = []): unknown[] {
  if (Array.isArray(node)) for (const item of node) valuesOf(item, key, found);
  else if (node && typeof node === 'object') {
    for (const [name, value] of Object.entries(node)) {
      if (name === key) found.push(value);
      valuesOf(value, key, found);
    }
  }
  return found;
}

describe('OpenAPI document and docs page', () => {
  it('is a valid OpenAPI 3.1 document according to the official schema', async () => {
    expect(document.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every route the host serves, each with its problem responses', async () => {
    const listed = Object.entries(document.paths as Record<string, Record<string, { operationId: string; responses: object }>>)
      .flatMap(([path, operations]) => Object.entries(operations).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`))
      .sort();
    for (const route of routes) expect(listed).toContain(`${route.method} /api${route.path} ${route.name}`);
    expect(listed).toContain('POST /api/dev/token dev-token');
    expect(Object.keys(document.paths['/api/me'].get.responses)).toEqual(expect.arrayContaining(['200', '401', '403']));
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

describe('problems are documented once, by status', () => {
  it('every problem type is listed with its meaning, and every status response is shared and has an example of each of its types', () => {
    const listed = document.components.schemas.ProblemType.oneOf.map((entry: Json) => entry.const);
    expect(listed.sort()).toEqual(Object.keys(PROBLEM_TYPES).map((slug) => problemType(slug as keyof typeof PROBLEM_TYPES)).sort());
    for (const [where, status, response] of everyResponse()) {
      if (Number(status) < 400) continue;
      const examples = response.content['application/problem+json'].examples as Record<string, { value: Json }>;
      const types = Object.entries(PROBLEM_TYPES).filter(([, type]) => type.status === Number(status)).map(([slug]) => slug);
      expect(Object.keys(examples).sort(), `${where} ${status}`).toEqual(types.sort());
      for (const example of Object.values(examples)) expect(example.value.status).toBe(Number(status));
    }
    const inline = everyResponse().filter(([, status]) => Number(status) >= 400);
    for (const [where, status] of inline) {
      const [path = '', id] = where.split(' ');
      const operation = Object.values(document.paths[path] as Record<string, Json>).find((op) => op.operationId === id);
      expect(operation?.responses[status].$ref, `${where} ${status}`).toMatch(/^#\/components\/responses\//);
    }
  });
});

describe('docs/api-contract.md', () => {
  it('lists every problem type', () => {
    const doc = readFileSync(new URL('../../docs/api-contract.md', import.meta.url), 'utf8');
    const missing = Object.keys(PROBLEM_TYPES).map((slug) => problemType(slug as keyof typeof PROBLEM_TYPES)).filter((type) => !doc.includes(`| \`${type}\` |`));
    expect(missing).toEqual([]);
  });
});

describe('headers are documented from the route declarations', () => {
  it('x-request-id on every response; Retry-After on 503 and 429 (the gateway limits every route); RateLimit fields on 429 and on the success of limited routes', () => {
    for (const [where, status, response] of everyResponse()) {
      expect(response.headers?.['x-request-id'], `${where} ${status}`).toBeDefined();
      if (status === '503' || status === '429') expect(response.headers['Retry-After'], `${where} ${status}`).toBeDefined();
      if (status === '429') expect(Object.keys(response.headers)).toEqual(expect.arrayContaining(['RateLimit', 'RateLimit-Policy']));
    }
    const limited = routes.filter((route) => (route.rateLimits ?? []).length > 0);
    expect(limited.length).toBeGreaterThan(0);
    for (const route of routes) {
      const success = responseOf(route, route.successStatus)!;
      const isLimited = limited.includes(route);
      expect(responseOf(route, 429), route.name).toBeDefined();
      expect(success.headers.RateLimit !== undefined, route.name).toBe(isLimited);
    }
  });

  it('If-Match is required (with 412 and 428) where the route needs it, and the reads, changes and creates of that resource answer with ETag', () => {
    const versioned = new Set(routes.filter((route) => route.requiresIfMatch).map((route) => route.path));
    expect(versioned.size).toBeGreaterThan(5);
    for (const route of routes) {
      const ifMatch = parametersOf(route).find((parameter) => parameter.name === 'If-Match');
      expect(ifMatch?.required === true, route.name).toBe(route.requiresIfMatch === true);
      if (route.requiresIfMatch) expect(Object.keys(operationOf(route).responses)).toEqual(expect.arrayContaining(['412', '428']));
      const etag = responseOf(route, route.successStatus)!.headers.ETag !== undefined;
      const createsVersioned = route.method === 'POST' && routes.some((read) => read.method === 'GET' && versioned.has(read.path) && read.response === route.response && read.path.startsWith(`${route.path}/{`));
      expect(etag, route.name).toBe((versioned.has(route.path) && (route.method === 'GET' || route.requiresIfMatch === true)) || createsVersioned);
    }
  });

  it('Location where the route declares it, Content-Disposition on downloads, and both formats of a report document', () => {
    for (const route of routes) {
      const headers = responseOf(route, route.successStatus)!.headers;
      expect(headers.Location !== undefined, route.name).toBe(route.location === true);
      expect(headers['Content-Disposition'] !== undefined, route.name).toBe(route.download !== undefined);
    }
    expect(routes.filter((route) => route.location).length).toBeGreaterThan(10);
    const document200 = document.paths['/api/municipalities/{municipalityId}/leaver-reports/{reportId}/document'].get.responses['200'];
    expect(Object.keys(document200.content).sort()).toEqual(['application/json', 'application/pdf']);
  });
});

/** Every property of every schema in the document (requests, responses, components), with where it is. */
function properties(node: unknown, where: string, found: [string, Json][] = []): [string, Json][] {
  if (Array.isArray(node)) node.forEach((item, index) => properties(item, `${where}/${index}`, found));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node as Json)) {
      if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
        for (const [name, schema] of Object.entries(value as Json)) found.push([`${where}/${name}`, schema as Json]);
      }
      properties(value, `${where}/${key}`, found);
    }
  }
  return found;
}

describe('descriptions come from the same definitions', () => {
  it('every operation declares what it does, and its description shows who may call it and, under a municipality, the 404 rule (P5)', () => {
    const undescribed = routes.filter((route) => !route.description || route.description.length < 20).map((route) => route.name);
    expect(undescribed, 'routes without a description').toEqual([]);
    for (const route of routes) {
      const description = operationOf(route).description as string;
      expect(description, route.name).toContain(route.description);
      expect(description, route.name).toContain('**Who may call:**');
      if (route.access.kind === 'roles') for (const role of route.access.roles) expect(description, `${route.name} ${role}`).toMatch(new RegExp(`- ${role.replace('-', ' ')}`));
      expect(description.includes('Not visible is not found (P5)'), route.name).toBe(route.access.kind !== 'public' && route.path.includes('{municipalityId}'));
    }
    for (const tag of document.tags as Json[]) expect(tag.description, tag.name).toMatch(/\w{5,}/);
  });

  it('every parameter and every schema property has a description', () => {
    const parameters = Object.values(document.paths as Record<string, Json>)
      .flatMap((operations) => Object.values(operations as Record<string, Json>))
      .flatMap((operation) => ((operation.parameters ?? []) as Json[]).map((parameter) => [operation.operationId, resolve(parameter)] as const));
    expect(parameters.filter(([, parameter]) => !parameter.description).map(([id, parameter]) => `${id} ${parameter.name}`)).toEqual([]);
    const all = properties(document.paths, 'paths').concat(properties(document.components, 'components'));
    expect(all.length).toBeGreaterThan(500);
    expect(all.filter(([, schema]) => !schema.description && !schema.$ref).map(([where]) => where)).toEqual([]);
  });

  it('Norwegian school terms are explained in English with the Norwegian word', () => {
    const grade = document.paths['/api/municipalities/{municipalityId}/students/{studentId}/grades'].post.requestBody.content['application/json'].schema.properties;
    expect(grade.grade.description).toMatch(/karakter[\s\S]*`IV`: ikke vurdert/);
    expect(grade.kind.description).toMatch(/`standpunkt`: standpunktkarakter[\s\S]*`eksamen`: eksamenskarakter/);
    expect(grade.subjectCode.description).toContain('fagkode');
    const student = document.paths['/api/municipalities/{municipalityId}/students'].post.requestBody.content['application/json'].schema.properties;
    expect(student.yearLevel.description).toContain('trinn');
    const assessment = document.paths['/api/municipalities/{municipalityId}/students/{studentId}/assessments'].post.requestBody.content['application/json'].schema.properties;
    expect(assessment.testCode.description).toContain('kartleggingsprøve');
    expect(operationOf(routes.find((route) => route.name === 'update-assessment')!).summary).toMatch(/^Correct an assessment/);
  });
});

describe('schemas are realistic', () => {
  it('every request body and JSON response has an example, and no integer carries bounds nobody declared', () => {
    for (const route of routes) {
      const operation = operationOf(route);
      if (route.body) expect(operation.requestBody.content['application/json'].example, route.name).toBeDefined();
      if (route.response && !route.rawContentType) {
        expect(responseOf(route, route.successStatus)!.content['application/json'].example, route.name).toBeDefined();
      }
    }
    const bounds = [...valuesOf(document, 'minimum'), ...valuesOf(document, 'maximum')];
    expect(bounds.filter((bound) => Math.abs(Number(bound)) === Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it('every example is valid against the schema that validates the real request or response (zod, with its unicode patterns)', () => {
    for (const route of routes) {
      const operation = operationOf(route);
      if (route.body) {
        const parsed = route.body.safeParse(operation.requestBody.content['application/json'].example);
        expect(parsed.error?.issues ?? [], `${route.name} request`).toEqual([]);
      }
      if (route.response && !route.rawContentType) {
        const parsed = route.response.safeParse(responseOf(route, route.successStatus)!.content['application/json'].example);
        expect(parsed.error?.issues ?? [], `${route.name} response`).toEqual([]);
      }
    }
  });

  it('the job parameter lists the jobs the features declare', () => {
    const job = document.paths['/api/operations/jobs/{job}/runs'].post.parameters.find((parameter: Json) => parameter.name === 'job');
    expect(job.schema.enum.sort()).toEqual(featureJobs(FEATURES).map((definition) => definition.name).sort());
  });
});
