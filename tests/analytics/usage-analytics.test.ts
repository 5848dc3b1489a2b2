import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../lib/clock.js';
import { cosmosOperations, createStaffUser, registerMunicipality, startTestApp, type SeededUser, type TestApp } from '../support/test-app.js';

const clock: Clock = { now: () => new Date('2026-11-10T12:00:00.000Z') };

let test: TestApp;
let schoolA: string;
let schoolB: string;
let municipalityAdmin: SeededUser;
let dataAdmin: SeededUser;
let teacher: SeededUser;
let foreignAdmin: SeededUser;
const staff: SeededUser[] = [];

const path = (query: string, municipality = '0301') => `/municipalities/${municipality}/analytics/usage?${query}`;

async function use(user: SeededUser, feature: string, at: string, times = 1): Promise<void> {
  const events = Array.from({ length: times }, () => ({ type: 'feature-use', feature, at }));
  const response = await test.request('POST', '/usage/events', { token: user.token, body: { events } });
  if (response.status !== 202) throw new Error(`usage events: ${response.status} ${response.text}`);
}

interface Cell {
  key: string;
  suppressed: boolean;
  events?: number;
  people?: number;
}

const cellOf = (cells: Cell[], key: string) => cells.find((cell) => cell.key === key);

beforeAll(async () => {
  test = await startTestApp({ clock });
  await registerMunicipality(test, '0301', 'Oslo');
  await registerMunicipality(test, '4601', 'Bergen');
  municipalityAdmin = await createStaffUser(test, '0301', ['municipality-admin']);
  dataAdmin = await createStaffUser(test, '0301', ['data-admin']);
  foreignAdmin = await createStaffUser(test, '4601', ['municipality-admin', 'data-admin']);
  const school = async (name: string) => (await test.request('POST', '/municipalities/0301/schools', { token: municipalityAdmin.token, body: { name } })).body.id as string;
  schoolA = await school('Bjølsen skole');
  schoolB = await school('Sagene skole');
  // Seven at school A, three at school B: school B's cell must never show.
  for (let index = 0; index < 7; index++) staff.push(await createStaffUser(test, '0301', ['teacher'], { schoolIds: [schoolA] }));
  for (let index = 0; index < 3; index++) staff.push(await createStaffUser(test, '0301', ['teacher'], { schoolIds: [schoolB] }));
  teacher = staff[0] as SeededUser;
  const [first, second] = ['2026-11-03T09:00:00.000Z', '2026-11-04T09:00:00.000Z'];
  // grades/list: six people (five at A, one at B), on both days.
  for (const user of staff.slice(0, 5)) await use(user, 'grades/list', first as string, 2);
  await use(staff[7] as SeededUser, 'grades/list', second as string, 3);
  // students/list: exactly five people, the threshold, all on the first day.
  for (const user of staff.slice(0, 5)) await use(user, 'students/list', first as string);
  // reports/export: four people, one short, one of them many times.
  for (const user of staff.slice(5, 9)) await use(user, 'reports/export', second as string);
  await use(staff[5] as SeededUser, 'reports/export', second as string, 20);
  // Outside the range, and in another municipality: never counted.
  for (const user of staff.slice(0, 6)) await use(user, 'grades/list', '2026-11-01T09:00:00.000Z');
  const bergen = await Promise.all([0, 1, 2, 3, 4, 5].map(() => createStaffUser(test, '4601', ['teacher'])));
  for (const user of bergen) await use(user, 'grades/list', first as string);
}, 120_000);
afterAll(() => test.close());

describe('usage analytics (P7): aggregates only, no group under five people', () => {
  it('groups by feature: cells of five or more people show counts, smaller ones only that they are suppressed', async () => {
    const response = await test.request('GET', path('from=2026-11-02&to=2026-11-09&groupBy=feature'), { token: municipalityAdmin.token });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({ from: '2026-11-02', to: '2026-11-09', groupBy: 'feature', minimumGroupSize: 5 });
    const cells = response.body.cells as Cell[];
    expect(cells.map((cell) => cell.key)).toEqual(['grades/list', 'reports/export', 'students/list']);
    expect(cellOf(cells, 'grades/list')).toEqual({ key: 'grades/list', suppressed: false, events: 13, people: 6 });
    expect(cellOf(cells, 'students/list')).toEqual({ key: 'students/list', suppressed: false, events: 5, people: 5 });
    expect(cellOf(cells, 'reports/export')).toEqual({ key: 'reports/export', suppressed: true });
  });

  it('suppresses the total whenever a cell is suppressed, so no cell can be found by subtraction', async () => {
    const mixed = await test.request('GET', path('from=2026-11-02&to=2026-11-09'), { token: dataAdmin.token });
    expect(mixed.body.total).toEqual({ suppressed: true });
    const clean = await test.request('GET', path('from=2026-11-03&to=2026-11-03'), { token: dataAdmin.token });
    expect(clean.body.cells.every((cell: Cell) => !cell.suppressed)).toBe(true);
    expect(clean.body.total).toEqual({ suppressed: false, events: 15, people: 5 });
  });

  it('groups by day and by school, with the same rule', async () => {
    const byDay = await test.request('GET', path('from=2026-11-01&to=2026-11-09&groupBy=day'), { token: municipalityAdmin.token });
    expect(byDay.body.cells).toEqual([
      { key: '2026-11-01', suppressed: false, events: 6, people: 6 },
      { key: '2026-11-03', suppressed: false, events: 15, people: 5 },
      { key: '2026-11-04', suppressed: true },
    ]);
    const bySchool = await test.request('GET', path('from=2026-11-02&to=2026-11-09&groupBy=school'), { token: municipalityAdmin.token });
    expect(bySchool.body.cells).toEqual(
      [{ key: schoolA, suppressed: false, events: 10 + 5 + 2 + 20, people: 7 }, { key: schoolB, suppressed: true }].sort((a, b) => a.key.localeCompare(b.key)),
    );
    expect(bySchool.body.total).toEqual({ suppressed: true });
  });

  it('never returns anything about a person: no ids, no per-person rows', async () => {
    for (const groupBy of ['feature', 'day', 'school']) {
      const response = await test.request('GET', path(`from=2026-11-01&to=2026-11-09&groupBy=${groupBy}`), { token: dataAdmin.token });
      for (const user of staff) expect(response.text).not.toContain(user.id);
      for (const cell of response.body.cells as Cell[]) if (!cell.suppressed) expect(cell.people).toBeGreaterThanOrEqual(5);
    }
  });

  it('reads only its own municipality: no cross-partition query, and Bergen sees only Bergen', async () => {
    const response = await test.request('GET', path('from=2026-11-02&to=2026-11-09'), { token: municipalityAdmin.token });
    expect(cosmosOperations(response)['cross-partition-query']).toBe(0);
    const bergen = await test.request('GET', path('from=2026-11-02&to=2026-11-09', '4601'), { token: foreignAdmin.token });
    expect(bergen.body.cells).toEqual([{ key: 'grades/list', suppressed: false, events: 6, people: 6 }]);
  });

  it('is for municipality and data admins of the municipality only', async () => {
    const query = 'from=2026-11-02&to=2026-11-09';
    expect((await test.request('GET', path(query), { token: teacher.token })).status).toBe(403);
    expect((await test.request('GET', path(query), { token: foreignAdmin.token })).status).toBe(404);
    expect((await test.request('GET', path(query), { token: await test.operatorToken() })).status).toBe(404);
    expect((await test.request('GET', path(query))).status).toBe(401);
  });

  it('refuses bad ranges and unknown parameters with a problem', async () => {
    for (const query of [
      'from=2026-11-09&to=2026-11-02',
      'from=2026-01-01&to=2026-11-09',
      'to=2026-11-09',
      'from=2026-11-02&to=2026-11-09&groupBy=person',
      'from=2026-11-02&to=2026-11-09&userId=x',
      'from=02.11.2026&to=2026-11-09',
    ]) {
      const response = await test.request('GET', path(query), { token: dataAdmin.token });
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });
});
