import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unmatchedResponse } from '../../lib/http/fallback.js';
import { hasTranslation, problemLanguage } from '../../lib/http/problem-language.js';
import { HostRouter } from '../../lib/http/router.js';
import { HttpProblem, PROBLEM_TYPES, problems } from '../../lib/http/problem.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let test: TestApp;
let operator: string;

beforeAll(async () => {
  test = await startTestApp();
  operator = await test.operatorToken();
});
afterAll(() => test.close());

async function sourceFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const nested = await Promise.all(entries.map((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return Promise.resolve(entry.name.endsWith('.ts') ? [path] : []);
  }));
  return nested.flat();
}

/** A template literal's text with each `${…}` as a sample value, so a pattern for it can be tried. */
function sample(literal: string): string {
  return literal.slice(1, -1).replace(/\$\{[^}]*\}/g, '1').replace(/\\'/g, "'");
}

/** Every detail a problem gets from a literal in the code: the arguments of problems.*, HttpProblem and the token and session refusals. */
async function literalDetails(): Promise<string[]> {
  const found = new Set<string>();
  const literal = String.raw`('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\`[^\`]*\`)`;
  const patterns = [
    new RegExp(String.raw`problems\.(?:notFound|forbidden|conflict|unavailable|unauthenticated)\(\s*${literal}`, 'g'),
    new RegExp(String.raw`new HttpProblem\(\s*\d+,\s*'[^']+',\s*'[^']*',\s*${literal}`, 'g'),
    new RegExp(String.raw`new TokenRejected\(\s*${literal}`, 'g'),
    new RegExp(String.raw`(?:csrfRefused|invalidContinuationToken|refused)\(\s*${literal}`, 'g'),
    new RegExp(String.raw`return ${literal};`, 'g'),
  ];
  for (const file of await sourceFiles('lib')) {
    // problem.ts's own details are made below, by calling its factories.
    if (file.endsWith('problem-language.ts') || file.endsWith('problem.ts')) continue;
    const text = await readFile(file, 'utf8');
    for (const [index, pattern] of patterns.entries()) {
      for (const match of text.matchAll(pattern)) {
        // `return '…'` only in the token verifier's reasons.
        if (index === 4 && !file.endsWith('jwt-verifier.ts')) continue;
        // The roster import's `refused` names a field error, which stays English like every field message.
        if (index === 3 && file.includes('roster-import')) continue;
        found.add(sample(match[1]!));
      }
    }
  }
  return [...found];
}

describe('problem texts in the caller\'s language', () => {
  it('picks bokmål when Accept-Language prefers nb, nn or no (nn falls back to nb), English otherwise', () => {
    expect(problemLanguage(null)).toBe('en');
    expect(problemLanguage('nb')).toBe('nb');
    expect(problemLanguage('nb-NO,nb;q=0.9,en;q=0.8')).toBe('nb');
    expect(problemLanguage('nn-NO')).toBe('nb');
    expect(problemLanguage('no')).toBe('nb');
    expect(problemLanguage('en-GB,nb;q=0.5')).toBe('en');
    expect(problemLanguage('sv-SE,nn;q=0.7,en;q=0.3')).toBe('nb');
    expect(problemLanguage('de-DE,fr;q=0.9')).toBe('en');
    expect(problemLanguage('en;q=0.5,nb;q=0.9')).toBe('nb');
    expect(problemLanguage('nb;q=0,en')).toBe('en');
    expect(problemLanguage('*')).toBe('en');
  });

  it('answers a problem in bokmål with the same type, status and field errors, and says so in Content-Language', async () => {
    const body = { id: '12', name: '' };
    const english = await test.request('POST', '/municipalities', { token: operator, body, headers: { 'accept-language': 'en-GB' } });
    const norwegian = await test.request('POST', '/municipalities', { token: operator, body, headers: { 'accept-language': 'nb-NO,en;q=0.5' } });
    expect(english.headers.get('content-language')).toBe('en');
    expect(english.body).toMatchObject({ type: 'urn:engage:problem:validation', title: 'Invalid request', detail: '2 field(s) failed validation' });
    expect(norwegian.status).toBe(400);
    expect(norwegian.headers.get('content-language')).toBe('nb');
    expect(norwegian.headers.get('vary')).toContain('Accept-Language');
    expect(norwegian.body).toEqual({ ...english.body, title: 'Ugyldig forespørsel', detail: '2 felt er ugyldige' });
  });

  it('nynorsk gets bokmål; a 404 and a 401 are translated too', async () => {
    const missing = await test.request('GET', '/municipalities/4601', { token: operator, headers: { 'accept-language': 'nn' } });
    expect(missing.body).toMatchObject({ type: 'urn:engage:problem:not-found', title: 'Ikke funnet', detail: 'Ressursen finnes ikke' });
    const anonymous = await test.request('GET', '/me', { headers: { 'accept-language': 'nb' } });
    expect(anonymous.body).toMatchObject({ type: 'urn:engage:problem:unauthenticated', title: 'Innlogging kreves' });
    expect(anonymous.body.detail).toMatch(/^et bearer-token kreves/);
  });

  it('the Functions host\'s answer for an unknown path or method is translated too', () => {
    const router = new HostRouter([{ name: 'list-schools', methods: ['GET'], route: 'municipalities/{municipalityId}/schools' }]);
    const unknown = unmatchedResponse(router, 'GET', '/no-such-thing', 'nb-NO');
    expect(JSON.parse(String(unknown.body))).toMatchObject({ type: 'urn:engage:problem:not-found', title: 'Ikke funnet', detail: 'Stien finnes ikke' });
    const wrongMethod = unmatchedResponse(router, 'DELETE', '/municipalities/4601/schools', 'nb');
    expect(JSON.parse(String(wrongMethod.body))).toMatchObject({ status: 405, title: 'Metoden er ikke tillatt', detail: 'Tillatt: GET' });
    expect(JSON.parse(String(unmatchedResponse(router, 'GET', '/no-such-thing').body)).title).toBe('Not found');
  });

  it('every problem type has a bokmål title, and every detail the code writes has its own translation', async () => {
    const details = await literalDetails();
    expect(details.length).toBeGreaterThan(60);
    expect(details.filter((detail) => !hasTranslation(detail))).toEqual([]);
    const made: HttpProblem[] = [
      problems.validation([{ field: 'body/id', message: 'x' }]),
      problems.validation(Array.from({ length: 25 }, () => ({ field: 'body/id', message: 'x' }))),
      problems.malformedJson(), problems.forbidden(), problems.notFound(), problems.methodNotAllowed(['GET']),
      problems.preconditionFailed(), problems.payloadTooLarge(1024), problems.unsupportedMediaType(['application/json', 'application/merge-patch+json']),
      problems.preconditionRequired(), problems.internal('7c1e4b52'),
    ];
    for (const problem of made) expect(hasTranslation(problem.detail!), problem.detail).toBe(true);
    for (const slug of Object.keys(PROBLEM_TYPES) as (keyof typeof PROBLEM_TYPES)[]) {
      const { status, title } = PROBLEM_TYPES[slug];
      const body = new HttpProblem(status, slug, title).toBody('nb');
      expect(body.title, slug).not.toBe(title);
      expect(body.type).toBe(new HttpProblem(status, slug, title).toBody('en').type);
    }
  });
});
