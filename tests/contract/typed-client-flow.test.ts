import { readFile } from 'node:fs/promises';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TYPES_FILE, generateApiTypes } from '../../scripts/api-types.js';
import { DEV_ISSUER } from '../../local/dev-issuer.js';
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
});
