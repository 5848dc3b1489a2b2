import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosmosOperations, createStaffUser, registerMunicipality, startTestApp, type SeededUser, type TestApp } from '../support/test-app.js';
import { backgroundSettled, sinkMessages } from './helpers.js';

let test: TestApp;
let operator: string;
let teacher: SeededUser;
let colleague: SeededUser;
let bystander: SeededUser;
let foreignAdmin: SeededUser;

const consent = (user: SeededUser, purpose = 'newsletter') =>
  test.request('GET', `/me/consents/${purpose}`, { token: user.token });
const decide = (user: SeededUser, granted: boolean, purpose = 'newsletter') =>
  test.request('PUT', `/me/consents/${purpose}`, { token: user.token, body: { granted } });

async function sendNewsletter(subject: string): Promise<string[]> {
  const response = await test.request('POST', '/newsletters', { token: operator, body: { subject, text: 'Nytt i Engage denne måneden.' } });
  expect(response.status).toBe(202);
  expect(response.body).toEqual({ id: expect.any(String), status: 'queued', purpose: 'newsletter' });
  await backgroundSettled(test);
  return (await sinkMessages(test, response.body.id)).map((message) => message.to).sort();
}

const addressOf = (user: SeededUser) => `${user.subject}@example.test`;

beforeAll(async () => {
  test = await startTestApp();
  operator = await test.operatorToken();
  await registerMunicipality(test, '0301', 'Oslo');
  await registerMunicipality(test, '4601', 'Bergen');
  teacher = await createStaffUser(test, '0301', ['teacher']);
  colleague = await createStaffUser(test, '0301', ['teacher']);
  bystander = await createStaffUser(test, '0301', ['school-admin']);
  foreignAdmin = await createStaffUser(test, '4601', ['municipality-admin']);
  const published = await test.request('POST', '/privacy-policy/versions', {
    token: operator,
    body: { version: '2031.1', language: 'nb', text: 'Erklæring', changeType: 'minor', reducesRights: false, effectiveFrom: new Date().toISOString() },
  });
  expect(published.status).toBe(201);
});
afterAll(() => test.close());

describe('consent per purpose (P9)', () => {
  it('nothing is granted until the user decides', async () => {
    const response = await consent(teacher);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ purpose: 'newsletter', granted: false, updatedAt: null, policyVersion: null, history: [] });
    const all = await test.request('GET', '/me/consents', { token: teacher.token });
    expect(all.body.purposes.map((p: { purpose: string }) => p.purpose)).toEqual(['newsletter', 'product-research']);
    expect(all.body.purposes.every((p: { granted: boolean }) => !p.granted)).toBe(true);
  });

  it('keeps every grant and withdrawal with its time and policy version; repeating a decision adds nothing', async () => {
    const granted = await decide(teacher, true);
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ granted: true, policyVersion: '2031.1' });
    expect((await decide(teacher, true)).body.history).toHaveLength(1);
    const withdrawn = await decide(teacher, false);
    expect(withdrawn.body.granted).toBe(false);
    expect(withdrawn.body.history).toEqual([
      { granted: true, at: expect.any(String), policyVersion: '2031.1' },
      { granted: false, at: expect.any(String), policyVersion: '2031.1' },
    ]);
    expect(Date.parse(withdrawn.body.history[1].at)).toBeGreaterThanOrEqual(Date.parse(withdrawn.body.history[0].at));
    await decide(teacher, true);
    const read = await consent(teacher);
    expect(read.body.history.map((change: { granted: boolean }) => change.granted)).toEqual([true, false, true]);
    expect(cosmosOperations(read)).toMatchObject({ 'point-read': 1, 'cross-partition-query': 0 });
  });

  it('is per user and per purpose', async () => {
    expect((await consent(colleague)).body.granted).toBe(false);
    expect((await consent(teacher, 'product-research')).body.granted).toBe(false);
  });

  it('unknown purposes are 404 problems', async () => {
    const read = await consent(teacher, 'selling-data');
    expect(read.status).toBe(404);
    expect(read.headers.get('content-type')).toContain('application/problem+json');
    expect((await decide(teacher, true, 'selling-data')).status).toBe(404);
  });

  it('bad decisions are 400 problems naming the field, and change nothing', async () => {
    const before = await consent(colleague);
    for (const [body, field] of [
      [{ granted: 'yes' }, 'body/granted'],
      [{}, 'body/granted'],
      [{ granted: true, forever: true }, 'body'],
    ] as const) {
      const response = await test.request('PUT', '/me/consents/newsletter', { token: colleague.token, body });
      expect(response.status).toBe(400);
      expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    }
    expect((await consent(colleague)).body).toEqual(before.body);
  });

  it('only registered staff have consents: operators and unregistered identities 403, no token 401', async () => {
    expect((await test.request('GET', '/me/consents/newsletter', { token: operator })).status).toBe(403);
    const stranger = await test.token('someone-unregistered');
    expect((await test.request('PUT', '/me/consents/newsletter', { token: stranger, body: { granted: true } })).status).toBe(403);
    expect((await test.request('GET', '/me/consents/newsletter')).status).toBe(401);
  });
});

describe('the newsletter goes only to users who granted it (requireConsent)', () => {
  it('reaches those who granted, in every municipality, and nobody else', async () => {
    await decide(colleague, true);
    await decide(colleague, false);
    await decide(foreignAdmin, true);
    const recipients = await sendNewsletter('Nyhetsbrev mars');
    expect(recipients).toEqual([addressOf(teacher), addressOf(foreignAdmin)].sort());
  });

  it('a withdrawal stops every later send', async () => {
    await decide(teacher, false);
    expect(await sendNewsletter('Nyhetsbrev april')).toEqual([addressOf(foreignAdmin)]);
  });

  it('the consent record decides, not the index: a stale index entry gets no email', async () => {
    // As if a crash had left the index entry of a withdrawn consent behind.
    await test.app.services.cosmos.containers.platform.items.upsert({
      id: `0301.${bystander.id}`,
      pk: 'consent-index:newsletter',
      type: 'consent-index-entry',
      purpose: 'newsletter',
      municipalityId: '0301',
      userId: bystander.id,
      createdAt: new Date().toISOString(),
    });
    expect(await sendNewsletter('Nyhetsbrev mai')).toEqual([addressOf(foreignAdmin)]);
  });

  it('only platform operators send newsletters; bad input is 400', async () => {
    expect((await test.request('POST', '/newsletters', { token: foreignAdmin.token, body: { subject: 'x', text: 'y' } })).status).toBe(403);
    const bad = await test.request('POST', '/newsletters', { token: operator, body: { subject: '', text: 'y', audience: 'all' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(['body', 'body/subject']);
  });
});
