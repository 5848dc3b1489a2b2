import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosmosOperations, createStaffUser, registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { simulatedClock } from './helpers.js';

const clock = simulatedClock('2030-12-20T10:00:00.000Z');
let test: TestApp;
let operator: string;
let adminToken: string;

const complaint = {
  name: 'Ola Klagesen',
  contact: 'ola.klagesen@example.test',
  text: 'Jeg ber om innsyn og har ikke fått svar.',
  municipalityId: '0301',
};

async function file(body: Record<string, unknown> = complaint) {
  return test.request('POST', '/complaints', { body });
}

async function patch(id: string, body: Record<string, unknown>, etag?: string) {
  const current = etag ?? ((await test.request('GET', `/complaints/${id}`, { token: operator })).headers.get('etag') as string);
  return test.request('PATCH', `/complaints/${id}`, { token: operator, body, headers: { 'if-match': current } });
}

/** Every page: a page holds one year's complaints at most. */
async function overdueIds(): Promise<string[]> {
  const ids: string[] = [];
  let token: string | null = null;
  do {
    const query: string = token ? `&continuationToken=${encodeURIComponent(token)}` : '';
    const response = await test.request('GET', `/complaints?overdue=true${query}`, { token: operator });
    expect(response.status).toBe(200);
    ids.push(...response.body.items.map((item: { id: string }) => item.id));
    token = response.body.continuationToken;
  } while (token);
  return ids;
}

beforeAll(async () => {
  test = await startTestApp({ clock });
  operator = await test.operatorToken();
  await registerMunicipality(test, '0301', 'Oslo');
  adminToken = (await createStaffUser(test, '0301', ['municipality-admin', 'data-admin'])).token;
});
afterAll(() => test.close());

describe('formal complaints (P17)', () => {
  it('anyone files a complaint without a token; the answer echoes none of it back', async () => {
    const response = await file();
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ id: expect.any(String), status: 'received', followUpBy: '2031-01-03T10:00:00.000Z' });
    expect(response.text).not.toMatch(/Ola|Klagesen|example\.test|innsyn|0301/);
  });

  it('bad complaints are 400 problems naming the field; nothing is stored', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...complaint, name: '' }, 'body/name'],
      [{ contact: 'x@example.test', text: 'y' }, 'body/name'],
      [{ ...complaint, municipalityId: 'Oslo' }, 'body/municipalityId'],
      [{ ...complaint, personnummer: '01010112345' }, 'body'],
      [{ ...complaint, text: 'x'.repeat(20_001) }, 'body/text'],
    ];
    for (const [body, field] of cases) {
      const response = await file(body);
      expect(response.status).toBe(400);
      expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
      expect(response.text).not.toContain('01010112345');
    }
    const year = await test.request('GET', '/complaints?year=2030', { token: operator });
    expect(year.body.items).toHaveLength(1);
  });

  it('only platform operators read and move complaints', async () => {
    const { body } = await file();
    expect((await test.request('GET', `/complaints/${body.id}`, { token: adminToken })).status).toBe(403);
    expect((await test.request('GET', `/complaints/${body.id}`)).status).toBe(401);
    expect((await test.request('GET', '/complaints', { token: adminToken })).status).toBe(403);
    const read = await test.request('GET', `/complaints/${body.id}`, { token: operator });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ ...complaint, status: 'received', overdue: false, history: [{ status: 'received' }] });
    expect(read.headers.get('etag')).toMatch(/^".+"$/);
    expect(cosmosOperations(read)).toMatchObject({ 'point-read': 1, 'partition-query': 0, 'cross-partition-query': 0 });
  });

  it('unknown or malformed ids: 404 and 400', async () => {
    expect((await test.request('GET', '/complaints/5f0c3c1e-8a55-4c47-9d55-2a4f1d1e2b3c', { token: operator })).status).toBe(404);
    expect((await test.request('GET', '/complaints/01890a5d-ac96-774b-bcce-b302099a8057', { token: operator })).status).toBe(404);
    expect((await test.request('GET', '/complaints/not-a-uuid', { token: operator })).status).toBe(400);
  });

  it('follows the workflow received -> contacted -> resolved; anything else is 409', async () => {
    const { body } = await file();
    expect((await patch(body.id, { status: 'resolved' })).status).toBe(409);
    expect((await patch(body.id, { status: 'received' })).status).toBe(400);
    expect((await patch(body.id, { status: 'contacted', note: 'Ringte klager', priority: 'high' })).status).toBe(400);
    clock.advanceDays(3);
    const contacted = await patch(body.id, { status: 'contacted', note: 'Ringte klager' });
    expect(contacted.status).toBe(200);
    expect(contacted.body).toMatchObject({ status: 'contacted', followUpBy: '2031-01-06T10:00:00.000Z' });
    const resolved = await patch(body.id, { status: 'resolved' });
    expect(resolved.body).toMatchObject({ status: 'resolved', followUpBy: null, overdue: false });
    expect(resolved.body.history.map((entry: { status: string }) => entry.status)).toEqual(['received', 'contacted', 'resolved']);
    expect(resolved.body.history[1].note).toBe('Ringte klager');
    expect((await patch(body.id, { status: 'contacted' })).status).toBe(409);
    expect((await patch(body.id, { status: 'referred-to-authority' })).status).toBe(409);
  });

  it('PATCH needs the current ETag: none 428, stale 412; of two concurrent writers one wins', async () => {
    const { body } = await file();
    const etag = (await test.request('GET', `/complaints/${body.id}`, { token: operator })).headers.get('etag') as string;
    expect((await test.request('PATCH', `/complaints/${body.id}`, { token: operator, body: { status: 'contacted' } })).status).toBe(428);
    const attempts = await Promise.all([patch(body.id, { status: 'contacted' }, etag), patch(body.id, { status: 'contacted' }, etag)]);
    expect(attempts.map((attempt) => attempt.status).sort()).toEqual([200, 412]);
    expect((await patch(body.id, { status: 'referred-to-authority' }, etag)).status).toBe(412);
    const referred = await patch(body.id, { status: 'referred-to-authority', note: 'Sendt til Datatilsynet' });
    expect(referred.body.status).toBe('referred-to-authority');
  });
});

describe('follow-up deadlines and the overdue list (simulated clock)', () => {
  let late: string;
  let fresh: string;

  it('a complaint not followed up within 14 days is overdue, across the turn of the year', async () => {
    clock.set('2030-12-21T09:00:00.000Z');
    late = (await file({ ...complaint, municipalityId: undefined })).body.id;
    clock.set('2031-01-03T12:00:00.000Z');
    fresh = (await file()).body.id;
    expect(await overdueIds()).not.toContain(late);
    clock.set('2031-01-04T12:00:00.000Z');
    const overdue = await overdueIds();
    expect(overdue).toContain(late);
    expect(overdue).not.toContain(fresh);
    expect((await test.request('GET', `/complaints/${late}`, { token: operator })).body.overdue).toBe(true);
  });

  it('each month of complaints is a logical partition of its own (with the intake limits, none can be filled)', async () => {
    const { resources } = await test.app.services.cosmos.containers.platform.items
      .query<{ id: string; pk: string }>({ query: "SELECT c.id, c.pk FROM c WHERE c.type = 'complaint' AND ARRAY_CONTAINS(@ids, c.id)", parameters: [{ name: '@ids', value: [late, fresh] }] })
      .fetchAll();
    expect(Object.fromEntries(resources.map(({ id, pk }) => [id, pk]))).toEqual({ [late]: 'complaints:2030-12', [fresh]: 'complaints:2031-01' });
  });

  it('contacting the complainant resets the deadline', async () => {
    await patch(late, { status: 'contacted' });
    expect(await overdueIds()).not.toContain(late);
    clock.advanceDays(15);
    const overdue = await overdueIds();
    expect(overdue).toContain(late);
    expect(overdue).toContain(fresh);
  });

  it('the open list pages across the months that still have open complaints', async () => {
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const query: string = token ? `&continuationToken=${encodeURIComponent(token)}` : '';
      const response = await test.request('GET', `/complaints?limit=1${query}`, { token: operator });
      expect(response.status).toBe(200);
      expect(cosmosOperations(response)['cross-partition-query']).toBe(0);
      seen.push(...response.body.items.map((item: { id: string }) => item.id));
      token = response.body.continuationToken;
      pages += 1;
    } while (token && pages < 20);
    expect(seen).toContain(late);
    expect(seen).toContain(fresh);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.indexOf(late)).toBeLessThan(seen.indexOf(fresh));
  });

  it('closed complaints leave the open lists but stay in their year', async () => {
    await patch(late, { status: 'resolved' });
    await patch(fresh, { status: 'contacted' });
    const open = await test.request('GET', '/complaints', { token: operator });
    expect(open.body.items.map((item: { id: string }) => item.id)).not.toContain(late);
    expect(await overdueIds()).not.toContain(late);
    const archive = await test.request('GET', '/complaints?year=2030&limit=100', { token: operator });
    expect(archive.body.items.find((item: { id: string }) => item.id === late)).toMatchObject({ status: 'resolved', overdue: false });
  });

  it('a past month leaves the open-month index once its last open complaint closes', async () => {
    const archive = await test.request('GET', '/complaints?year=2030&limit=100', { token: operator });
    for (const item of archive.body.items as { id: string; status: string }[]) {
      if (item.status === 'received') await patch(item.id, { status: 'contacted' });
      if (item.status === 'received' || item.status === 'contacted') await patch(item.id, { status: 'resolved' });
    }
    const { resource } = await test.app.services.cosmos.containers.platform.item('open-months', 'complaints:index').read<{ months: string[] }>();
    expect(resource?.months).toEqual(['2031-01']);
    const open = await test.request('GET', '/complaints', { token: operator });
    expect(open.body).toEqual({ items: [expect.objectContaining({ id: fresh, status: 'contacted' })], continuationToken: null });
  });

  it('rejects bad list queries', async () => {
    expect((await test.request('GET', '/complaints?overdue=yes', { token: operator })).status).toBe(400);
    expect((await test.request('GET', '/complaints?year=30', { token: operator })).status).toBe(400);
    expect((await test.request('GET', '/complaints?continuationToken=abc', { token: operator })).status).toBe(400);
    expect((await test.request('GET', '/complaints?limit=101', { token: operator })).status).toBe(400);
  });
});
