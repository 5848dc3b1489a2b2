import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { featureRoutes } from '../../lib/app/feature.js';
import { FEATURES } from '../../lib/features.js';
import { acceptedName, freeText, nameText } from '../../lib/http/text-input.js';
import { createStaffUser, registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';

const HOSTILE = {
  'NUL': 'Kari\u0000Nordmann',
  'an ANSI escape': 'Kari \u001b[31mNordmann',
  'DEL': 'Kari\u007fNordmann',
  'a C1 control': 'Kari\u0085Nordmann',
  'a right-to-left override': 'Kari \u202eNordmann',
  'a bidi isolate': 'Kari \u2067Nordmann\u2069',
  'a right-to-left mark': 'Kari\u200fNordmann',
  'an Arabic letter mark': 'Kari\u061cNordmann',
  'a zero-width space': 'Kari\u200bNordmann',
  'a zero-width non-joiner': 'Kari\u200cNordmann',
  'a zero-width joiner between letters': 'Kari\u200dNordmann',
  'a word joiner': 'Kari\u2060Nordmann',
  'a byte order mark inside': 'Kari\ufeffNordmann',
  'a lone high surrogate': 'Kari\ud800Nordmann',
  'a lone low surrogate': 'Kari\udc00Nordmann',
} as const;

const ACCEPTED = ['Åse Ærlend Ødegård', 'Čáhcesuolu', 'Ŋuvttet Áilu', '👩‍💻 Kari', '👨‍👩‍👧', '🏳️‍🌈', '👩🏽‍💻', "O'Brien-Løkke"];

describe('nameText and freeText (unit)', () => {
  const name = nameText({ max: 100 });
  const multiline = freeText({ max: 1000, multiline: true });
  const oneLine = freeText({ max: 1000 });

  it.each(Object.entries(HOSTILE))('refuse %s, without quoting the value', (_kind, value) => {
    for (const schema of [name, multiline, oneLine]) {
      const result = schema.safeParse(value);
      expect(result.success).toBe(false);
      expect(JSON.stringify(result.error?.issues.map((issue) => issue.message))).not.toMatch(/Kari|Nordmann/);
    }
  });

  it.each(ACCEPTED)('accept %s', (value) => {
    for (const schema of [name, multiline, oneLine]) expect(schema.parse(value)).toBe(value);
  });

  it('store NFC and trim', () => {
    expect(name.parse('  A\u030Ase  ')).toBe('\u00C5se');
    expect(multiline.parse('A\u030A')).toBe('\u00C5');
  });

  it('line breaks and tabs: only in multiline text, CR LF as LF, never a lone CR', () => {
    expect(multiline.parse('Hei,\r\n\tlinje to\nlinje tre')).toBe('Hei,\n\tlinje to\nlinje tre');
    for (const value of ['Hei\nto', 'Hei\tto', 'Hei\u2028to']) {
      expect(name.safeParse(value).success).toBe(false);
      expect(oneLine.safeParse(value).success).toBe(false);
    }
    expect(multiline.safeParse('Hei\rto').success).toBe(false);
  });

  it('keep the length rules after normalising', () => {
    expect(name.safeParse('   ').success).toBe(false);
    expect(nameText({ max: 3 }).safeParse('A\u030AAA').success).toBe(true);
    expect(nameText({ max: 3 }).safeParse('ABCD').success).toBe(false);
  });

  it('acceptedName accepts exactly what nameText accepts, as the same text', () => {
    const values = [...Object.values(HOSTILE), ...ACCEPTED, '   ', '', '  A\u030Ase  ', 'A\u030AAA', 'ABCD', 'ABC ', ' \u200bAB', 'Hei\nto', 'Hei\tto'];
    for (const max of [3, 100]) {
      const schema = nameText({ max });
      for (const value of values) {
        const parsed = schema.safeParse(value);
        expect(acceptedName(value, { max }), JSON.stringify(value)).toBe(parsed.success ? parsed.data : undefined);
      }
    }
  });
});

type JsonSchema = { type?: string; properties?: Record<string, JsonSchema>; items?: JsonSchema; pattern?: string; format?: string; enum?: unknown[]; const?: unknown; anyOf?: JsonSchema[] };

/** Paths of the body's strings without a format of their own (no pattern, format or fixed values): what a person types. */
function freeStringPaths(schema: JsonSchema, path: string[] = []): string[][] {
  if (schema.properties) return Object.entries(schema.properties).flatMap(([key, property]) => freeStringPaths(property, [...path, key]));
  if (schema.items) return freeStringPaths(schema.items, [...path, '0']);
  if (schema.anyOf) return schema.anyOf.flatMap((option) => freeStringPaths(option, path));
  const formatted = schema.pattern !== undefined || schema.format !== undefined || schema.enum !== undefined || schema.const !== undefined;
  return schema.type === 'string' && !formatted ? [path] : [];
}

/** Set by the identity provider, not typed by a person. */
const NOT_TYPED = new Set(['create-user body/identity/subject']);

describe('every route', () => {
  it('refuses hostile text in every free-form string of its body (the fields go through nameText or freeText)', () => {
    const checked: string[] = [];
    for (const route of featureRoutes(FEATURES)) {
      if (!route.body) continue;
      for (const path of freeStringPaths(z.toJSONSchema(route.body, { io: 'input', unrepresentable: 'any' }) as JsonSchema)) {
        const where = `${route.name} body/${path.join('/')}`;
        if (NOT_TYPED.has(where)) continue;
        const input = path.reduceRight<unknown>((inner, key) => (/^\d+$/.test(key) ? [inner] : { [key]: inner }), HOSTILE['a right-to-left override']);
        const issues = route.body.safeParse(input).error?.issues ?? [];
        expect(issues.some((issue) => issue.path.join('/') === path.join('/') && issue.message.includes('bidirectional')), where).toBe(true);
        checked.push(where);
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(20);
  });
});

describe('names and free text over HTTP', () => {
  let test: TestApp;
  let admin: string;
  let teacher: string;
  const m = '5401';

  beforeAll(async () => {
    test = await startTestApp();
    await registerMunicipality(test, m);
    admin = (await createStaffUser(test, m, ['municipality-admin'])).token;
    teacher = (await createStaffUser(test, m, ['teacher'])).token;
  });
  afterAll(() => test.close());

  const schoolNames = async (): Promise<string[]> =>
    (await test.request('GET', `/municipalities/${m}/schools?limit=100`, { token: admin })).body.items.map((school: { name: string }) => school.name);
  const supportSubjects = async (): Promise<string[]> =>
    (await test.request('GET', '/support-requests?limit=100', { token: teacher })).body.items.map((request: { subject: string }) => request.subject);

  it.each(['NUL', 'an ANSI escape', 'a right-to-left override', 'a zero-width space', 'a lone high surrogate'] as const)(
    'a name or message with %s is 400, not echoed, and nothing is stored',
    async (kind) => {
      const value = HOSTILE[kind];
      const before = { schools: await schoolNames(), support: await supportSubjects() };
      const school = await test.request('POST', `/municipalities/${m}/schools`, { token: admin, body: { name: value } });
      const support = await test.request('POST', '/support-requests', { token: teacher, body: { subject: 'Innlogging', message: `Hei.\n${value}` } });
      for (const response of [school, support]) {
        expect(response.status).toBe(400);
        expect(response.body.type).toBe('urn:engage:problem:validation');
        expect(response.text).not.toMatch(/Kari|Nordmann/);
      }
      expect(school.body.errors).toEqual([{ field: 'body/name', message: expect.any(String) }]);
      expect(support.body.errors).toEqual([{ field: 'body/message', message: expect.any(String) }]);
      expect(await schoolNames()).toEqual(before.schools);
      expect(await supportSubjects()).toEqual(before.support);
    },
  );

  it('a decomposed "Å" is stored as the composed letter', async () => {
    const created = await test.request('POST', `/municipalities/${m}/schools`, { token: admin, body: { name: 'A\u030Asen skole' } });
    expect(created.status).toBe(201);
    const read = await test.request('GET', `/municipalities/${m}/schools/${created.body.id}`, { token: admin });
    expect(read.body.name).toBe('\u00C5sen skole');
  });

  it('Norwegian and Sámi letters and emoji sequences are accepted as sent', async () => {
    for (const name of ['Čáhcesuolu skuvla', 'Ŋuorra æøå', 'Koding 👩‍💻 og 👨‍👩‍👧']) {
      const created = await test.request('POST', `/municipalities/${m}/schools`, { token: admin, body: { name } });
      expect(created.status).toBe(201);
      expect(created.body.name).toBe(name);
    }
  });
});
