import { readFile } from 'node:fs/promises';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TYPES_FILE, generateApiTypes } from '../../scripts/api-types.js';
import { DEV_ISSUER } from '../../local/dev-issuer.js';
import { deployedOpenApiDocument } from '../support/openapi-document.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { schoolFlow } from './school-flow.js';
import { typedClient, type Call } from './typed-client.js';

let test: TestApp;
let call: Call;

beforeAll(async () => {
  test = await startTestApp();
  call = typedClient(test.url);
});
afterAll(() => test.close());

describe('the typed client generated from the OpenAPI document', () => {
  it('is not stale: tests/contract/engage-api.ts is what openapi-typescript makes of the document now (else run `npm run api-types`)', async () => {
    expect(await readFile(API_TYPES_FILE, 'utf8')).toBe(await generateApiTypes());
  });

  it('compiles with the flow that uses it (tests/contract/school-flow.ts)', () => {
    const files = [new URL('./school-flow.ts', import.meta.url), new URL('./typed-client.ts', import.meta.url)].map((url) => url.pathname);
    const program = ts.createProgram(files, { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2023, skipLibCheck: true, types: ['node'] });
    const errors = ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    expect(errors).toEqual([]);
  }, 120_000);

  it('carries a whole school flow against the local host: school, student, group, grade, read with ETag, PATCH with If-Match, export', async () => {
    const host = { issuer: DEV_ISSUER, operatorToken: () => test.operatorToken(), token: (subject: string) => test.token(subject) };
    await schoolFlow(call, host, String(2000 + Math.floor(Math.random() * 7000)));
  });

  it('sends exactly the headers the document promises on each response of the flow (ETag, Location, Content-Disposition, x-request-id)', async () => {
    const seen: { method: string; path: string; status: number; headers: Headers }[] = [];
    const recording: Call = async (method, path, options) => {
      const result = await call(method, path, options);
      seen.push({ method, path, status: Number(result.status), headers: result.headers });
      return result;
    };
    const host = { issuer: DEV_ISSUER, operatorToken: () => test.operatorToken(), token: (subject: string) => test.token(subject) };
    await schoolFlow(recording, host, String(2000 + Math.floor(Math.random() * 7000)));
    const document = deployedOpenApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; headers?: Record<string, unknown> }> }>>; components: { responses: Record<string, { headers?: Record<string, unknown> }> } };
    expect(seen.length).toBeGreaterThan(10);
    for (const { method, path, status, headers } of seen) {
      const declared = document.paths[path]![method]!.responses[String(status)]!;
      const response = declared.$ref ? document.components.responses[declared.$ref.split('/').pop()!]! : declared;
      const documented = Object.keys(response.headers ?? {}).map((name) => name.toLowerCase());
      for (const name of ['etag', 'location', 'content-disposition', 'x-request-id']) {
        expect(headers.has(name), `${method} ${path} ${status} ${name}`).toBe(documented.includes(name));
      }
    }
  });
});
