import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMailingJob } from '../../lib/governance/governance.js';
import { cosmosOperations, createStaffUser, registerMunicipality, startTestApp, type SeededUser, type TestApp } from '../support/test-app.js';
import { backgroundSettled, simulatedClock, sinkMessages } from './helpers.js';

const clock = simulatedClock('2031-03-01T08:00:00.000Z');
let test: TestApp;
let operator: string;
let teacher: SeededUser;
let admin: SeededUser;
let foreignTeacher: SeededUser;

const version = (overrides: Record<string, unknown> = {}) => ({
  version: '1',
  language: 'nb',
  text: 'Personvernerklæring, versjon 1.',
  changeType: 'minor',
  reducesRights: false,
  effectiveFrom: clock.now().toISOString(),
  ...overrides,
});

const inDays = (days: number) => new Date(clock.now().getTime() + days * 86_400_000).toISOString();

async function publish(body: Record<string, unknown>) {
  return test.request('POST', '/privacy-policy/versions', { token: operator, body });
}

async function policyOf(user: SeededUser) {
  return (await test.request('GET', '/me', { token: user.token })).body.policy;
}

beforeAll(async () => {
  test = await startTestApp({ clock });
  operator = await test.operatorToken();
  await registerMunicipality(test, '0301', 'Oslo');
  await registerMunicipality(test, '4601', 'Bergen');
  teacher = await createStaffUser(test, '0301', ['teacher']);
  admin = await createStaffUser(test, '0301', ['municipality-admin']);
  foreignTeacher = await createStaffUser(test, '4601', ['teacher']);
});
afterAll(() => test.close());

describe('privacy-policy versions (P18)', () => {
  it('has no policy in force before the first publication', async () => {
    expect((await test.request('GET', '/privacy-policy')).status).toBe(404);
    expect(await policyOf(teacher)).toEqual({ appliesVersion: null, pendingVersion: null });
  });

  it('rejects bad versions with problems that name the field, and writes nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [version({ ssn: '01010112345' }), 'body'],
      [version({ language: 'de' }), 'body/language'],
      [version({ changeType: 'minor', reducesRights: true }), 'body/changeType'],
      [version({ effectiveFrom: 'tomorrow' }), 'body/effectiveFrom'],
      [version({ effectiveFrom: inDays(-2) }), 'body/effectiveFrom'],
      [version({ version: '../1' }), 'body/version'],
      [version({ text: '' }), 'body/text'],
    ];
    for (const [body, field] of cases) {
      const response = await publish(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    }
    expect((await test.request('GET', '/privacy-policy/versions')).body.items).toEqual([]);
  });

  it('only platform operators publish', async () => {
    expect((await test.request('POST', '/privacy-policy/versions', { token: admin.token, body: version() })).status).toBe(403);
    expect((await test.request('POST', '/privacy-policy/versions', { body: version() })).status).toBe(401);
  });

  it('publishes version 1; it is in force for everyone, readable without a token', async () => {
    const response = await publish(version());
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe('/api/privacy-policy/versions/1');
    expect(response.body).toMatchObject({ version: '1', language: 'nb', languages: ['nb'], changeType: 'minor' });
    const current = await test.request('GET', '/privacy-policy');
    expect(current.body).toMatchObject({ version: '1', text: 'Personvernerklæring, versjon 1.' });
    expect(await policyOf(teacher)).toEqual({ appliesVersion: '1', pendingVersion: null });
    const operatorMe = await test.request('GET', '/me', { token: operator });
    expect(operatorMe.body.policy).toEqual({ appliesVersion: '1', pendingVersion: null });
  });

  it('archived texts never change: re-posting is 409; a translation must match its version', async () => {
    expect((await publish(version({ text: 'Endret tekst' }))).status).toBe(409);
    const mismatch = await publish(version({ language: 'en', text: 'Privacy policy 1', changeType: 'major' }));
    expect(mismatch.status).toBe(409);
    const english = await publish(version({ language: 'en', text: 'Privacy policy, version 1.' }));
    expect(english.status).toBe(201);
    expect(english.body.languages).toEqual(['nb', 'en']);
    expect((await test.request('GET', '/privacy-policy?language=en')).body.text).toBe('Privacy policy, version 1.');
    expect((await test.request('GET', '/privacy-policy?language=nn')).body.language).toBe('nb');
    expect((await test.request('GET', '/privacy-policy/versions/1')).body.text).toBe('Personvernerklæring, versjon 1.');
  });

  it('a new version must take effect after every earlier one', async () => {
    expect((await publish(version({ version: '0.9' }))).status).toBe(409);
  });

  it('a major change emails every registered user of every municipality, in the background', async () => {
    const response = await publish(version({ version: '2', changeType: 'major', text: 'Versjon 2', effectiveFrom: inDays(30) }));
    expect(response.status).toBe(201);
    await backgroundSettled(test);
    const notices = await sinkMessages(test, 'policy-notice.2');
    // Every municipality's first admin (registered by the operator for the test) is a user too.
    const recipients = notices.map((notice) => notice.to).filter((to) => !to.startsWith('bootstrap-admin-')).sort();
    expect(recipients).toEqual([`${admin.subject}@example.test`, `${foreignTeacher.subject}@example.test`, `${teacher.subject}@example.test`].sort());
    expect(notices[0]?.subject).toContain('versjon 2');
    expect(notices[0]?.text).toContain(inDays(30).slice(0, 10));
    // Announced before it takes effect: version 1 still holds.
    expect((await test.request('GET', '/privacy-policy')).body.version).toBe('1');
    clock.advanceDays(31);
    expect((await test.request('GET', '/privacy-policy')).body.version).toBe('2');
    expect(await policyOf(teacher)).toEqual({ appliesVersion: '2', pendingVersion: null });
  });

  it('a minor change sends no notice', async () => {
    expect((await publish(version({ version: '2.1', text: 'Versjon 2.1', effectiveFrom: inDays(1) }))).status).toBe(201);
    await backgroundSettled(test);
    expect(await sinkMessages(test, 'policy-notice.2.1')).toEqual([]);
    clock.advanceDays(2);
  });

  it('the scheduled job finishes a notice whose mailing record was lost, and sends nothing twice', async () => {
    const platform = test.app.services.cosmos.containers.platform;
    await platform.item('policy-notice.2', 'mailings').delete();
    const before = await sinkMessages(test, 'policy-notice.2');
    await runMailingJob(test.app.services.governance);
    const { resource } = await platform.item('policy-notice.2', 'mailings').read<{ status: string }>();
    expect(resource?.status).toBe('done');
    expect(await sinkMessages(test, 'policy-notice.2')).toHaveLength(before.length);
  });

  it('a version that reduces rights applies to a user only after that user accepts it', async () => {
    const response = await publish(version({ version: '3', changeType: 'major', reducesRights: true, text: 'Versjon 3', effectiveFrom: inDays(14) }));
    expect(response.status).toBe(201);
    await backgroundSettled(test);
    const notice = (await sinkMessages(test, 'policy-notice.3')).find((message) => message.to === `${teacher.subject}@example.test`);
    expect(notice?.text).toContain('godtatt');
    // Accepting in advance is allowed; the others have not.
    expect((await test.request('POST', '/me/policy-acceptances', { token: admin.token, body: { version: '3' } })).status).toBe(201);
    clock.advanceDays(15);
    expect((await test.request('GET', '/privacy-policy')).body.version).toBe('3');
    expect(await policyOf(teacher)).toEqual({ appliesVersion: '2.1', pendingVersion: '3' });
    expect(await policyOf(foreignTeacher)).toEqual({ appliesVersion: '2.1', pendingVersion: '3' });
    expect(await policyOf(admin)).toEqual({ appliesVersion: '3', pendingVersion: null });

    const accepted = await test.request('POST', '/me/policy-acceptances', { token: teacher.token, body: { version: '3' } });
    expect(accepted.status).toBe(201);
    expect(accepted.body).toEqual({ version: '3', acceptedAt: clock.now().toISOString(), policy: { appliesVersion: '3', pendingVersion: null } });
    expect(await policyOf(teacher)).toEqual({ appliesVersion: '3', pendingVersion: null });
    expect(await policyOf(foreignTeacher)).toEqual({ appliesVersion: '2.1', pendingVersion: '3' });
    const again = await test.request('POST', '/me/policy-acceptances', { token: teacher.token, body: { version: '3' } });
    expect(again.status).toBe(200);
    expect(again.body.acceptedAt).toBe(accepted.body.acceptedAt);
  });

  it('a later version does not bypass an unaccepted reduction; accepting the latest accepts what came before', async () => {
    expect((await publish(version({ version: '4', text: 'Versjon 4', effectiveFrom: inDays(1) }))).status).toBe(201);
    clock.advanceDays(2);
    expect(await policyOf(foreignTeacher)).toEqual({ appliesVersion: '2.1', pendingVersion: '4' });
    expect(await policyOf(teacher)).toEqual({ appliesVersion: '4', pendingVersion: null });
    await test.request('POST', '/me/policy-acceptances', { token: foreignTeacher.token, body: { version: '4' } });
    expect(await policyOf(foreignTeacher)).toEqual({ appliesVersion: '4', pendingVersion: null });
  });

  it('GET /me costs at most one point read for the policy status', async () => {
    await test.request('GET', '/me', { token: teacher.token });
    const me = await test.request('GET', '/me', { token: teacher.token });
    expect(cosmosOperations(me)).toMatchObject({ 'point-read': 1, 'partition-query': 0, 'cross-partition-query': 0 });
  });

  it('acceptance: unknown versions and bad bodies are 400; operators and unregistered identities are 403', async () => {
    const unknown = await test.request('POST', '/me/policy-acceptances', { token: teacher.token, body: { version: '99' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].field).toBe('body/version');
    const extra = await test.request('POST', '/me/policy-acceptances', { token: teacher.token, body: { version: '4', consent: true } });
    expect(extra.status).toBe(400);
    expect(extra.body.errors).toEqual([{ field: 'body', message: '1 unknown field(s)' }]);
    expect((await test.request('POST', '/me/policy-acceptances', { token: operator, body: { version: '4' } })).status).toBe(403);
    const stranger = await test.token('not-registered');
    expect((await test.request('POST', '/me/policy-acceptances', { token: stranger, body: { version: '4' } })).status).toBe(403);
  });

  it('the archive keeps every version and language, pages, and reads any of them', async () => {
    const all = await test.request('GET', '/privacy-policy/versions?limit=100');
    expect(all.status).toBe(200);
    expect(all.body.items.map((entry: { version: string; language: string }) => `${entry.version}/${entry.language}`).sort()).toEqual(
      ['1/en', '1/nb', '2.1/nb', '2/nb', '3/nb', '4/nb'],
    );
    expect(all.body.items[0]).not.toHaveProperty('text');
    const first = await test.request('GET', '/privacy-policy/versions?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await test.request('GET', `/privacy-policy/versions?limit=2&continuationToken=${encodeURIComponent(first.body.continuationToken)}`);
    expect(second.body.items).toHaveLength(2);
    expect((await test.request('GET', '/privacy-policy/versions/1?language=en')).body.text).toBe('Privacy policy, version 1.');
    expect((await test.request('GET', '/privacy-policy/versions/3')).body).toMatchObject({ reducesRights: true, changeType: 'major' });
    expect((await test.request('GET', '/privacy-policy/versions/77')).status).toBe(404);
    expect((await test.request('GET', '/privacy-policy/versions/1?language=de')).status).toBe(400);
    expect((await test.request('GET', '/privacy-policy/versions?continuationToken=forged')).status).toBe(400);
  });
});
