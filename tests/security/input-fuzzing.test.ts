import fc from 'fast-check';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureRoutes } from '../../lib/app/feature.js';
import { FEATURES } from '../../lib/features.js';
import type { AnyRoute } from '../../lib/http/route.js';
import type { Role } from '../../lib/identity/principal.js';
import { buildSchoolWorld, type SchoolWorld } from '../support/school-world.js';
import { inputsAround } from '../support/schema-arbitrary.js';
import { cosmosOperations, createStaffUser, registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Property-based fuzzing of every route's params, query and body, driven by the route's
 * zod schemas: never a 5xx, every 4xx is problem+json, a refused request writes nothing, and
 * no request makes a cross-partition query.
 */

const RUNS_PER_ROUTE = 30;

let test: TestApp;
let world: SchoolWorld;
const tokenForRole = new Map<Role, string>();

/**
 * The municipality of "problems never echo what the caller sent", registered before the fuzzing:
 * the fuzzer registers municipality ids at random (4 digits), and one registered first answered
 * that describe's own registration 409.
 */
const ECHO_MUNICIPALITY = '5103';

beforeAll(async () => {
  test = await startTestApp();
  world = await buildSchoolWorld(test);
  await registerMunicipality(test, ECHO_MUNICIPALITY);
  tokenForRole.set('platform-operator', world.operatorToken);
  tokenForRole.set('municipality-admin', world.actors.municipalityAdmin.token);
  tokenForRole.set('data-admin', world.actors.dataAdmin.token);
  tokenForRole.set('school-admin', world.actors.schoolAdmin.token);
  tokenForRole.set('teacher', world.actors.groupTeacher.token);
}, 120_000);
afterAll(() => test.close());

function knownParamValues(): Record<string, string[]> {
  return {
    municipalityId: [world.home, world.foreign, '0000', '03O1'],
    studentId: Object.values(world.students),
    schoolId: Object.values(world.schools),
    groupId: [world.group],
    userId: [world.actors.groupTeacher.id, world.actors.municipalityAdmin.id],
    recordId: Object.values(world.records.inGroup),
    asset: ['init.js', 'swagger-ui.css'],
    // Well-formed ids that name nothing: the request gets past validation to the lookup.
    disclosureId: [crypto.randomUUID()],
    exportId: [crypto.randomUUID()],
  };
}

function paramArbitrary(route: AnyRoute): fc.Arbitrary<Record<string, string>> {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
  const known = knownParamValues();
  const entries = names.map((name) => [
    name,
    fc.oneof(
      { arbitrary: fc.constantFrom(...(known[name] ?? ['x'])), weight: 4 },
      { arbitrary: fc.string({ minLength: 1, maxLength: 40 }), weight: 1 },
      { arbitrary: fc.uuid(), weight: 1 },
    ),
  ]);
  return fc.record(Object.fromEntries(entries) as Record<string, fc.Arbitrary<string>>);
}

function queryArbitrary(route: AnyRoute): fc.Arbitrary<Record<string, string>> {
  const generated = inputsAround(route.query ?? z.strictObject({}));
  return generated.map((value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { q: JSON.stringify(value) };
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, typeof entry === 'string' ? entry : JSON.stringify(entry)]));
  });
}

/**
 * Whether the dispatcher lets a request through to the route's handler (lib/http/dispatcher.ts:
 * authenticate, params, authorise by tenant, query, body, If-Match), for the routes this test
 * asks it of: an attempted read, which leaves its audit entry exactly when its handler runs.
 * Every token here is staff of the home municipality with a role the route allows.
 */
function reachesHandler(route: AnyRoute, params: Record<string, string>, query: Record<string, string>): boolean {
  if (route.method !== 'GET' || route.access.kind === 'public') throw new Error(`${route.name}: only authenticated reads are checked this way`);
  const parsedParams = (route.params ?? z.strictObject({})).safeParse(params);
  if (!parsedParams.success || (parsedParams.data as Record<string, unknown>).municipalityId !== world.home) return false;
  return (route.query ?? z.strictObject({})).safeParse(query).success;
}

function tokenFor(route: AnyRoute): string | undefined {
  if (route.access.kind === 'public') return undefined;
  if (route.access.kind === 'authenticated') return world.actors.groupTeacher.token;
  return route.access.roles.map((role) => tokenForRole.get(role)).find(Boolean);
}

const routes = featureRoutes(FEATURES);

describe('input fuzzing (fast-check, from the zod schemas)', () => {
  it.each(routes.map((route) => [route.name, route] as const))('%s: never 5xx, 4xx are problems, refusals write nothing', async (_name, route) => {
    const token = tokenFor(route);
    await fc.assert(
      fc.asyncProperty(paramArbitrary(route), queryArbitrary(route), inputsAround(route.body), fc.boolean(), async (params, query, body, withIfMatch) => {
        const path = route.path.replace(/\{(\w+)\}/g, (_match, name: string) => encodeURIComponent(params[name] ?? ''));
        const search = new URLSearchParams(query).toString();
        const response = await test.request(route.method, `${path}${search ? `?${search}` : ''}`, {
          token,
          headers: withIfMatch ? { 'if-match': '"fuzz"' } : {},
          ...(body === undefined || route.method === 'GET' || route.method === 'DELETE' ? {} : { rawBody: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(withIfMatch ? { 'if-match': '"fuzz"' } : {}) } }),
        });
        const where = `${route.method} ${path}?${search}`;
        expect(response.status, `${where} answered ${response.status}: ${response.text.slice(0, 200)}`).toBeLessThan(500);
        expect(cosmosOperations(response)['cross-partition-query'] ?? 0, `${where} made a cross-partition query`).toBe(0);
        if (response.status >= 400) expect(response.headers.get('content-type'), where).toMatch(/^application\/problem\+json/);
        // A read audited as an attempt writes its audit entry, and nothing else, exactly when its handler runs,
        // whatever it answers (a 404 of the handler too), and nothing when refused before (lib/http/route.ts).
        if (route.audit?.attempts && response.status !== 503) {
          const expected = reachesHandler(route, params, query) ? 1 : 0;
          expect(cosmosOperations(response).write ?? 0, `${where} answered ${response.status} and should write ${expected} audit entries: ${response.text.slice(0, 200)}`).toBe(expected);
        } else if (response.status >= 400 && response.status < 500) {
          // A refusal for the caller's mistake changes nothing (a 503 may come after writes: its outcome is what a retry settles).
          // The one exception: a 409 on a POST is the store refusing a create whose id exists (the atomic
          // uniqueness check, e.g. a municipality id the fuzzer registered earlier): the counter
          // counts that round trip as a write, though the store changed nothing.
          const refusedCreate = response.status === 409 && route.method === 'POST' ? 1 : 0;
          expect(cosmosOperations(response).write ?? 0, `${where} wrote although refused with ${response.status}: ${response.text.slice(0, 200)}`).toBeLessThanOrEqual(refusedCreate);
        }
      }),
      { numRuns: RUNS_PER_ROUTE },
    );
  });
});

describe('problems never echo what the caller sent', () => {
  const nationalId = '12345678901';
  const personal = 'Kari Nordmann <kari.nordmann@example.no>';
  // A municipality of its own: the fuzzing above changes and erases whatever the world holds, and reaches no other.
  const m = ECHO_MUNICIPALITY;
  let admin: string;
  let teacher: string;

  beforeAll(async () => {
    admin = (await createStaffUser(test, m, ['municipality-admin', 'data-admin'])).token;
    teacher = (await createStaffUser(test, m, ['teacher'])).token;
  });

  async function schoolNames(): Promise<string[]> {
    const response = await test.request('GET', `/municipalities/${m}/schools?limit=100`, { token: admin });
    return response.body.items.map((school: { name: string }) => school.name);
  }

  it('an unknown field is counted at its parent, its name and value are not in the answer', async () => {
    const before = await schoolNames();
    const response = await test.request('POST', `/municipalities/${m}/schools`, {
      token: admin,
      body: { name: 'Fuzz skole', [nationalId]: personal, [personal]: nationalId },
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'body', message: '2 unknown field(s)' }]);
    expect(response.text).not.toContain(nationalId);
    expect(response.text).not.toMatch(/Kari|Nordmann|example\.no/);
    expect(await schoolNames()).toEqual(before);
  });

  it('50,000 unknown fields give a small answer that counts them', async () => {
    const body: Record<string, unknown> = { name: 'Fuzz skole' };
    for (let index = 0; index < 50_000; index += 1) body[`f${index}`] = index;
    const response = await test.request('POST', `/municipalities/${m}/schools`, { token: admin, body });
    expect(response.status).toBe(400);
    expect(Buffer.byteLength(response.text)).toBeLessThan(2048);
    expect(response.body.errors).toEqual([{ field: 'body', message: '50000 unknown field(s)' }]);
  });

  it('many failing fields: at most 20 are listed, the detail says how many failed', async () => {
    const events = Array.from({ length: 60 }, () => ({ type: 'no-such-type', feature: 'Not A Slug', at: 'yesterday' }));
    const response = await test.request('POST', '/usage/events', { token: teacher, body: { events } });
    expect(response.status).toBe(400);
    expect(response.body.errors).toHaveLength(20);
    expect(response.body.detail).toBe('180 field(s) failed validation; the first 20 are listed');
    expect(Buffer.byteLength(response.text)).toBeLessThan(4096);
  });

  it('a repeated query parameter is refused without naming it', async () => {
    const response = await test.request('GET', `/municipalities/${m}/schools?${nationalId}=1&${nationalId}=2`, { token: admin });
    expect(response.status).toBe(400);
    expect(response.text).not.toContain(nationalId);
  });

  it('a value the schema refuses is not quoted back, whatever the kind of check', async () => {
    const refused = [
      await test.request('GET', `/municipalities/${m}/students?status=${encodeURIComponent(personal)}`, { token: admin }),
      await test.request('POST', `/municipalities/${m}/erasures`, {
        token: admin,
        body: { subjectType: 'student', filter: { status: personal, leftBefore: nationalId }, instructionReference: personal },
      }),
      await test.request('POST', `/municipalities/${m}/students`, {
        token: admin,
        body: { givenName: personal, familyName: 7, birthDate: nationalId, schoolId: personal, yearLevel: nationalId, status: personal },
      }),
    ];
    for (const response of refused) {
      expect(response.status).toBe(400);
      expect(response.text).not.toContain(nationalId);
      expect(response.text).not.toMatch(/Kari|Nordmann|example\.no/);
    }
  });
});
