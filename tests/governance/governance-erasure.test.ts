import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erasuresSettled } from '../support/erasures.js';
import { everythingStored } from '../support/data-scan.js';
import { createStaffUser, registerMunicipality, startTestApp, type SeededUser, type TestApp } from '../support/test-app.js';
import { backgroundSettled, sinkMessages } from './helpers.js';

let test: TestApp;
let operator: string;
let dataAdmin: SeededUser;
let leaving: SeededUser;
let staying: SeededUser;

/**
 * The documents of this module's containers that mention the needle. Usage data is left
 * out (anonymised within 3 months by its own job, P10), and so is the local email sink,
 * which stands for mail already delivered.
 */
async function storedMentions(needle: string): Promise<string[]> {
  const stored = await everythingStored(test.app.services);
  return stored
    .filter(({ where, text }) => /^(consents|support|outbox|platform)\//.test(where) && text.includes(needle))
    .map(({ where }) => where);
}

async function useGovernance(user: SeededUser): Promise<void> {
  expect((await test.request('PUT', '/me/consents/newsletter', { token: user.token, body: { granted: true } })).status).toBe(200);
  expect((await test.request('PUT', '/me/consents/product-research', { token: user.token, body: { granted: true } })).status).toBe(200);
  expect((await test.request('POST', '/me/policy-acceptances', { token: user.token, body: { version: '1' } })).status).toBe(201);
  const opened = await test.request('POST', '/support-requests', { token: user.token, body: { subject: 'Hjelp', message: 'Et spørsmål' } });
  expect(opened.status).toBe(201);
}

beforeAll(async () => {
  test = await startTestApp();
  operator = await test.operatorToken();
  await registerMunicipality(test, '0301', 'Oslo');
  dataAdmin = await createStaffUser(test, '0301', ['data-admin']);
  leaving = await createStaffUser(test, '0301', ['teacher']);
  staying = await createStaffUser(test, '0301', ['teacher']);
  const published = await test.request('POST', '/privacy-policy/versions', {
    token: operator,
    body: { version: '1', language: 'nb', text: 'Erklæring', changeType: 'minor', reducesRights: false, effectiveFrom: new Date().toISOString() },
  });
  expect(published.status).toBe(201);
  await useGovernance(leaving);
  await useGovernance(staying);
  const newsletter = await test.request('POST', '/newsletters', { token: operator, body: { subject: 'Nytt', text: 'Tekst' } });
  await backgroundSettled(test);
  expect(await sinkMessages(test, newsletter.body.id)).toHaveLength(2);
});
afterAll(() => test.close());

describe('erasing a user reaches their consents, acceptances, support threads and outbox messages (P3)', () => {
  it('leaves nothing that names the erased user, and keeps everyone else', async () => {
    expect((await storedMentions(leaving.id)).some((where) => where.startsWith('consents/'))).toBe(true);
    const response = await test.request('DELETE', `/municipalities/0301/users/${leaving.id}?instructionReference=SAK-2031/7`, { token: dataAdmin.token });
    expect(response.status).toBe(202);
    await erasuresSettled(test);
    expect(await storedMentions(leaving.id)).toEqual([]);
    expect(await storedMentions(leaving.subject)).toEqual([]);
    expect((await test.request('GET', '/me/consents/newsletter', { token: staying.token })).body.granted).toBe(true);
    expect((await test.request('GET', '/support-requests', { token: staying.token })).body.items).toHaveLength(1);
    expect(await storedMentions(staying.id)).not.toEqual([]);
  });

  it("the next newsletter reaches only those still registered and consenting", async () => {
    const newsletter = await test.request('POST', '/newsletters', { token: operator, body: { subject: 'Nytt igjen', text: 'Tekst' } });
    await backgroundSettled(test);
    expect((await sinkMessages(test, newsletter.body.id)).map((message) => message.to)).toEqual([`${staying.subject}@example.test`]);
  });
});
