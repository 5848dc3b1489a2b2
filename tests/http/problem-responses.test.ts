import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldErrors } from '../../lib/http/validation.js';
import { registerMunicipality, startTestApp, type TestApp, type TestResponse } from '../support/test-app.js';
import { capturingLogger } from '../usage/usage-fixtures.js';

let test: TestApp;
let operator: string;
const { logger, lines } = capturingLogger();

beforeAll(async () => {
  test = await startTestApp({ env: { MAX_BODY_BYTES: '4096' }, composition: { logger } });
  operator = await test.operatorToken();
  await registerMunicipality(test, '1103');
});
afterAll(() => test.close());

function expectProblem(response: TestResponse, status: number, type: string): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ type: `urn:engage:problem:${type}`, status, title: expect.any(String) });
}

async function municipalityCount(): Promise<number> {
  const response = await test.request('GET', '/municipalities?limit=100', { token: operator });
  return response.body.items.length;
}

describe('RFC 9457 problem responses', () => {
  it('400 names every invalid field without echoing values', async () => {
    const before = await municipalityCount();
    const response = await test.request('POST', '/municipalities', { token: operator, body: { id: '12', name: '' } });
    expectProblem(response, 400, 'validation');
    const fields = response.body.errors.map((error: { field: string }) => error.field).sort();
    expect(fields).toEqual(['body/id', 'body/name']);
    expect(response.text).not.toContain('"12"');
    expect(await municipalityCount()).toBe(before);
  });

  it('400 for unknown fields (strict schemas), counted, not named', async () => {
    const response = await test.request('POST', '/municipalities', {
      token: operator,
      body: { id: '1104', name: 'X', religion: 'none' },
    });
    expectProblem(response, 400, 'validation');
    expect(response.body.errors).toEqual([{ field: 'body', message: '1 unknown field(s)' }]);
    expect(response.text).not.toContain('religion');
  });

  it('400 for unknown and repeated query parameters', async () => {
    expectProblem(await test.request('GET', '/municipalities?debug=1', { token: operator }), 400, 'validation');
    expectProblem(await test.request('GET', '/municipalities?limit=1&limit=2', { token: operator }), 400, 'validation');
    expectProblem(await test.request('GET', '/municipalities?limit=101', { token: operator }), 400, 'validation');
  });

  it('400 for malformed JSON', async () => {
    const response = await test.request('POST', '/municipalities', {
      token: operator,
      rawBody: '{"id": "1105",',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(response, 400, 'malformed-json');
  });

  it('413 for a body over the limit, 415 for a wrong content type', async () => {
    const big = await test.request('POST', '/municipalities', { token: operator, body: { id: '1106', name: 'x'.repeat(5000) } });
    expectProblem(big, 413, 'payload-too-large');
    const wrongType = await test.request('POST', '/municipalities', {
      token: operator,
      rawBody: 'id=1106',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectProblem(wrongType, 415, 'unsupported-media-type');
  });

  it('404 for an unknown route and 405 with Allow for a wrong method', async () => {
    expectProblem(await test.request('GET', '/no-such-thing'), 404, 'not-found');
    const wrongMethod = await test.request('DELETE', '/municipalities');
    expectProblem(wrongMethod, 405, 'method-not-allowed');
    expect(wrongMethod.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'POST']);
  });

  it('401 without a token, 403 for a role the caller lacks', async () => {
    expectProblem(await test.request('POST', '/municipalities', { body: { id: '1107', name: 'X' } }), 401, 'unauthenticated');
    const unregistered = await test.token('nobody-registered');
    expectProblem(await test.request('POST', '/municipalities', { token: unregistered, body: { id: '1107', name: 'X' } }), 403, 'forbidden');
  });

  it('409 when the municipality exists', async () => {
    expectProblem(await test.request('POST', '/municipalities', { token: operator, body: { id: '1103', name: 'Again' } }), 409, 'conflict');
  });

  it('never answers 5xx to a forged continuation token', async () => {
    const forged = Buffer.from(JSON.stringify({ v: 1, s: 'x', c: 'y' })).toString('base64url');
    expectProblem(await test.request('GET', `/municipalities?continuationToken=${forged}`, { token: operator }), 400, 'invalid-continuation-token');
    expectProblem(await test.request('GET', '/municipalities?continuationToken=%25%25', { token: operator }), 400, 'invalid-continuation-token');
  });

  it('fault injection (a store throws unexpectedly): 500 with a request id, and the log says why under the same id, without personal data', async () => {
    const municipalities = test.app.services.municipalities;
    const list = municipalities.list.bind(municipalities);
    municipalities.list = () => Promise.reject(new TypeError('lookup failed for Kari Nordmann <kari.nordmann@example.no>, fnr 01017012345'));
    try {
      const response = await test.request('GET', '/municipalities', { token: operator });
      expectProblem(response, 500, 'internal');
      const requestId = response.headers.get('x-request-id');
      expect(response.text).not.toContain('Kari');
      const line = lines.find((entry) => entry.event === 'request-failed' && entry.requestId === requestId);
      expect(line).toMatchObject({ route: 'list-municipalities', error: 'TypeError', detail: 'lookup failed for [name] <[email]>, fnr [national-id]' });
      expect(String(line?.stack)).toMatch(/^TypeError\n\s+at /);
      expect(JSON.stringify(line)).not.toMatch(/Kari|Nordmann|example\.no|01017012345/);
    } finally {
      municipalities.list = list;
    }
  });
});

describe('field errors', () => {
  it("name the schema's fields and put * for a record key the caller chose", () => {
    const schema = z.strictObject({ properties: z.record(z.string(), z.strictObject({ count: z.number() })).optional() });
    const result = schema.safeParse({ properties: { '12345678901': { count: 'Kari', extra: 1 } } });
    const errors = fieldErrors('body', schema, result.error as z.ZodError);
    expect(errors).toEqual([
      { field: 'body/properties/*/count', message: 'Invalid input: expected number, received string' },
      { field: 'body/properties/*', message: '1 unknown field(s)' },
    ]);
    expect(JSON.stringify(errors)).not.toMatch(/12345678901|Kari|extra/);
  });
});
