import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { featureRoutes } from '../../lib/app/feature.js';
import { FEATURES } from '../../lib/features.js';
import { FREE_TEXT_SCHEMAS } from '../../lib/http/text-input.js';
import { buildSchoolWorld, RECORD_BODIES, type SchoolWorld } from '../support/school-world.js';
import { findAnywhere } from '../support/data-scan.js';
import { erasuresSettled } from '../support/erasures.js';
import { createStaffUser, startTestApp, type SeededUser, type TestApp } from '../support/test-app.js';

/**
 * The name sweep (docs/name-sweep.md): an erased person's names are replaced in every
 * free text of the municipality others wrote, counted per provider, verified gone.
 */

let test: TestApp;
let world: SchoolWorld;
let base: string;
let operator: string;

beforeAll(async () => {
  test = await startTestApp();
  world = await buildSchoolWorld(test, '5601', '5602');
  base = `/municipalities/${world.home}`;
  operator = await test.operatorToken();
}, 120_000);
afterAll(() => test.close());

async function createStudent(givenName: string, familyName: string): Promise<string> {
  const response = await test.request('POST', `${base}/students`, {
    token: world.actors.municipalityAdmin.token,
    body: { givenName, familyName, birthDate: '2012-05-05', schoolId: world.schools.own, yearLevel: 8 },
  });
  expect(response.status).toBe(201);
  return response.body.id;
}

async function evaluate(studentId: string, text: string, token = world.actors.groupTeacher.token): Promise<string> {
  const response = await test.request('POST', `${base}/students/${studentId}/evaluations`, { token, body: { ...RECORD_BODIES.evaluation, text } });
  expect(response.status, response.text).toBe(201);
  return response.body.id;
}

const evaluationText = async (studentId: string, id: string) =>
  (await test.request('GET', `${base}/students/${studentId}/evaluations/${id}`, { token: world.actors.dataAdmin.token })).body.text as string;

async function settled(erasureId: string) {
  await erasuresSettled(test);
  return (await test.request('GET', `${base}/erasures/${erasureId}`, { token: world.actors.dataAdmin.token })).body;
}

describe('erasing a student whose name others wrote down', () => {
  let zelda: string;
  let evaluationId: string;
  let namesake: string;
  let supportId: string;
  let complaintId: string;
  let teacher: SeededUser;
  let otherMunicipality: string;

  beforeAll(async () => {
    zelda = await createStudent('Zelda', 'Slettemeg');
    // Another municipality's Zelda Slettemeg is another child: its text is no business of this erasure.
    const foreign = await test.request('POST', `/municipalities/${world.foreign}/students/${world.students.foreign}/evaluations`, {
      token: world.actors.foreignTeacher.token,
      body: { ...RECORD_BODIES.evaluation, text: 'Zelda Slettemeg leste høyt.' },
    });
    expect(foreign.status, foreign.text).toBe(201);
    otherMunicipality = foreign.body.id;
    namesake = await evaluate(world.students.inGroup, 'Zelda fra parallellklassen hjalp til. Familien Slettemeg kom på besøk.');
    evaluationId = await evaluate(world.students.inGroup, 'Samarbeidet godt med Zelda Slettemeg i gruppearbeid, og leste ZELDA SLETTEMEGS tekst høyt.');
    teacher = await createStaffUser(test, world.home, ['teacher'], { schoolIds: [world.schools.own] });
    const opened = await test.request('POST', '/support-requests', { token: teacher.token, body: { subject: 'Zelda Slettemeg får ikke logget inn', message: 'Eleven Zelda Slettemeg får feilmelding.' } });
    expect(opened.status).toBe(201);
    supportId = opened.body.id;
    const reply = await test.request('POST', `/support-requests/${supportId}/messages`, { token: operator, body: { text: 'Vi ser på kontoen til zelda slettemeg.' } });
    expect(reply.status).toBe(201);
    const complaint = await test.request('POST', '/complaints', {
      body: { name: 'Forelder Foresattsen', contact: 'forelder@example.test', text: 'Forelder til Zelda Slettemeg klager på vurderingen.', municipalityId: world.home },
    });
    expect(complaint.status).toBe(201);
    complaintId = complaint.body.id;
    const current = await test.request('GET', `/complaints/${complaintId}`, { token: operator });
    const followed = await test.request('PATCH', `/complaints/${complaintId}`, {
      token: operator,
      body: { status: 'contacted', note: 'Ringte om Zelda Slettemeg.' },
      headers: { 'if-match': current.headers.get('etag') as string },
    });
    expect(followed.status, followed.text).toBe(200);
  });

  it("completes with every mention replaced and counted per provider, and a full-store scan finds neither the id nor the name (but another municipality's namesake)", async () => {
    const accepted = await test.request('DELETE', `${base}/students/${zelda}?instructionReference=SAK-2026/77`, { token: world.actors.dataAdmin.token });
    expect(accepted.status).toBe(202);
    const erasure = await settled(accepted.body.id);
    expect(erasure).toMatchObject({ status: 'completed', counts: { completed: 1, failed: 0 } });
    expect(erasure.redactions).toEqual({ records: 2, 'governance.support': 4, 'governance.complaints': 2 });

    expect(await evaluationText(world.students.inGroup, evaluationId)).toBe('Samarbeidet godt med [slettet elev] i gruppearbeid, og leste [slettet elev]S tekst høyt.');
    // A first name alone, or a family name alone, is nobody in particular: kept.
    expect(await evaluationText(world.students.inGroup, namesake)).toBe('Zelda fra parallellklassen hjalp til. Familien Slettemeg kom på besøk.');
    const thread = await test.request('GET', `/support-requests/${supportId}`, { token: teacher.token });
    expect(thread.body.subject).toBe('[slettet elev] får ikke logget inn');
    expect(thread.body.messages.map((message: { text: string }) => message.text)).toEqual(['Eleven [slettet elev] får feilmelding.', 'Vi ser på kontoen til [slettet elev].']);
    const mine = await test.request('GET', '/support-requests', { token: teacher.token });
    expect(mine.body.items[0].subject).toBe('[slettet elev] får ikke logget inn');
    const complaint = await test.request('GET', `/complaints/${complaintId}`, { token: operator });
    expect(complaint.body.text).toBe('Forelder til [slettet elev] klager på vurderingen.');
    expect(complaint.body.history.at(-1).note).toBe('Ringte om [slettet elev].');

    const found = await findAnywhere(test.app.services, [zelda, 'Zelda Slettemeg', 'ZELDA SLETTEMEG', 'zelda slettemeg']);
    expect(found).toEqual([`Zelda Slettemeg in records/${otherMunicipality}`]);
    const foreign = await test.request('GET', `/municipalities/${world.foreign}/students/${world.students.foreign}/evaluations/${otherMunicipality}`, { token: world.actors.foreignAdmin.token });
    expect(foreign.body.text).toBe('Zelda Slettemeg leste høyt.');
  });
});

/** Free text naming a student, for each provider that sweeps: written through the API, as people write it. */
const MENTIONS: Record<string, (name: string) => Promise<void>> = {
  records: async (name) => {
    await evaluate(world.students.inGroup, `${name} var borte.`);
  },
  'governance.support': async (name) => {
    const token = (await createStaffUser(test, world.home, ['teacher'], { schoolIds: [world.schools.own] })).token;
    expect((await test.request('POST', '/support-requests', { token, body: { subject: 'Innlogging', message: `${name} kommer ikke inn.` } })).status).toBe(201);
  },
  'governance.complaints': async (name) => {
    const body = { name: 'Forelder Foresattsen', contact: 'forelder@example.test', text: `Gjelder ${name}.`, municipalityId: world.home };
    expect((await test.request('POST', '/complaints', { body })).status).toBe(201);
  },
};

describe('verification of the name sweep, for every provider that sweeps (fault injected on purpose)', () => {
  it('every provider that declares a sweep has a case here', () => {
    const sweeping = test.app.services.privacy.all().filter((provider) => provider.freeText?.sweep).map((provider) => provider.name);
    expect(Object.keys(MENTIONS).sort()).toEqual(sweeping.sort());
  });

  it.each(Object.keys(MENTIONS))('%s: a mention put back after its redaction page fails the erasure; the repeat sweeps again and completes', async (name) => {
    const declaration = test.app.services.privacy.all().find((provider) => provider.name === name)?.freeText;
    if (!declaration?.sweep) throw new Error(`${name} declares no sweep`);
    const givenName = 'Ingrid';
    const familyName = `Åsbø-Ŋuolja${name.replace(/[^a-z]/g, '')}`;
    const fullName = `${givenName} ${familyName}`;
    const studentId = await createStudent(givenName, familyName);
    await MENTIONS[name]?.(fullName);
    const realSweep = declaration.sweep;
    // After a redaction page, the same page again with the marker turned back into the name: a mention the verification must find.
    declaration.sweep = async (municipalityId, edit, page) => {
      const result = await realSweep.call(declaration, municipalityId, edit, page);
      if (edit(fullName).text !== fullName) {
        await realSweep.call(declaration, municipalityId, (text) => ({ text: text.replaceAll('[slettet elev]', fullName), mentions: 0 }), page);
      }
      return result;
    };
    let erasureId: string;
    try {
      const accepted = await test.request('DELETE', `${base}/students/${studentId}?instructionReference=SAK-2026/78`, { token: world.actors.dataAdmin.token });
      expect(accepted.status).toBe(202);
      erasureId = accepted.body.id;
      // Failed by the verification pass: the sweep itself ran and replaced the mention first.
      const failed = await settled(erasureId);
      expect(failed).toMatchObject({ status: 'failed', counts: { completed: 1 } });
      expect(failed.redactions[name]).toBeGreaterThan(0);
    } finally {
      declaration.sweep = realSweep;
    }
    const repeated = await test.request('DELETE', `${base}/students/${studentId}?instructionReference=SAK-2026/78`, { token: world.actors.dataAdmin.token });
    expect(repeated.status).toBe(202);
    expect((await settled(erasureId)).status).toBe('completed');
    expect(await findAnywhere(test.app.services, [studentId, fullName])).toEqual([]);
  });
});

describe('erasing a staff user whose name colleagues wrote down', () => {
  it('replaces the mentions with the staff marker', async () => {
    const colleague = await createStaffUser(test, world.home, ['teacher'], { schoolIds: [world.schools.own], name: 'Kanari Lærersen' });
    const evaluationId = await evaluate(world.students.inGroup, 'Fulgt opp sammen med kanari lærersen.');
    const accepted = await test.request('DELETE', `${base}/users/${colleague.id}?instructionReference=SAK-2026/79`, { token: world.actors.dataAdmin.token });
    expect(accepted.status).toBe(202);
    expect(await settled(accepted.body.id)).toMatchObject({ status: 'completed', redactions: { records: 1 } });
    expect(await evaluationText(world.students.inGroup, evaluationId)).toBe('Fulgt opp sammen med [slettet bruker].');
  });
});

/** The free-text leaves of a schema, through objects, arrays, optionals, unions and refinements. */
function freeTextLeaves(schema: z.ZodType, path: string[] = [], found = new Map<z.ZodType, string>()): Map<z.ZodType, string> {
  if (FREE_TEXT_SCHEMAS.has(schema)) {
    found.set(schema, path.join('/'));
    return found;
  }
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  if (def.shape) for (const [key, value] of Object.entries(def.shape as Record<string, z.ZodType>)) freeTextLeaves(value, [...path, key], found);
  for (const inner of ['innerType', 'element', 'in', 'out', 'schema'] as const) {
    if (def[inner]) freeTextLeaves(def[inner] as z.ZodType, inner === 'element' ? [...path, '0'] : path, found);
  }
  if (Array.isArray(def.options)) for (const option of def.options as z.ZodType[]) freeTextLeaves(option, path, found);
  return found;
}

describe('free-text coverage', () => {
  it('every free-text field of every route body is declared by a privacy provider, which sweeps it or says why not', () => {
    const providers = test.app.services.privacy.all();
    const declared = new Set(providers.flatMap((provider) => (provider.freeText?.inputs ?? []).flatMap((input) => [...freeTextLeaves(input).keys()])));
    const undeclared: string[] = [];
    let fields = 0;
    for (const route of featureRoutes(FEATURES)) {
      if (!route.body) continue;
      for (const [leaf, path] of freeTextLeaves(route.body)) {
        fields += 1;
        if (!declared.has(leaf)) undeclared.push(`${route.name} body/${path}`);
      }
    }
    expect(fields).toBeGreaterThanOrEqual(8);
    expect(undeclared, 'free text no privacy provider declares').toEqual([]);
    for (const provider of providers.filter((candidate) => candidate.freeText)) {
      const { sweep, notSwept, fields: stored } = provider.freeText ?? {};
      expect(stored?.length, provider.name).toBeGreaterThan(0);
      expect(Boolean(sweep) !== Boolean(notSwept && notSwept.length > 20), `${provider.name}: sweeps, or says why not (one of the two)`).toBe(true);
    }
  });
});
