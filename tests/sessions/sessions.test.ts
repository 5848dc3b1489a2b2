import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erasuresSettled } from '../support/erasures.js';
import { cosmosOperations, createStaffUser, registerMunicipality, startTestApp, type SeededUser, type TestApp, type TestResponse } from '../support/test-app.js';
import { ManualClock } from '../support/manual-clock.js';

/** A clock the test moves by hand; the session store reads it. */
const MINUTE = 60_000;
const ALLOWED_ORIGIN = 'https://app.engage.test';
const SESSION = '__Host-engage-session';
const PREFS = 'engage-prefs';

interface ParsedCookie {
  name: string;
  value: string;
  attributes: Map<string, string>;
}

function parseSetCookie(header: string): ParsedCookie {
  const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
  const separator = pair.indexOf('=');
  return {
    name: pair.slice(0, separator),
    value: pair.slice(separator + 1),
    attributes: new Map(attributes.map((attribute) => {
      const [key = '', value = ''] = attribute.split('=');
      return [key.toLowerCase(), value];
    })),
  };
}

function cookiesOf(response: TestResponse): Map<string, ParsedCookie> {
  return new Map(response.headers.getSetCookie().map(parseSetCookie).map((cookie) => [cookie.name, cookie]));
}

const clock = new ManualClock();
let test: TestApp;
let admin: SeededUser;
let teacher: SeededUser;

async function signIn(user: SeededUser, language = 'nb'): Promise<{ response: TestResponse; session: string }> {
  const response = await test.request('POST', '/session', { token: user.token, body: { language } });
  expect(response.status, response.text).toBe(201);
  const session = cookiesOf(response).get(SESSION)?.value;
  if (!session) throw new Error('no session cookie');
  return { response, session };
}

const withSession = (session: string, headers: Record<string, string> = {}) => ({ headers: { cookie: `${SESSION}=${session}`, ...headers } });
const changeWithSession = (session: string, headers: Record<string, string> = {}) => withSession(session, { 'x-requested-with': 'engage', ...headers });

beforeAll(async () => {
  test = await startTestApp({ clock, env: { CORS_ALLOWED_ORIGINS: ALLOWED_ORIGIN } });
  await registerMunicipality(test, '0301', 'Oslo');
  admin = await createStaffUser(test, '0301', ['municipality-admin', 'data-admin'], { name: 'Sesjon Admin', email: 'sesjon.admin@oslo.test' });
  teacher = await createStaffUser(test, '0301', ['teacher'], { name: 'Sesjon Lærer', email: 'sesjon.laerer@oslo.test' });
});
afterAll(() => test.close());

describe('POST /api/session (P11)', () => {
  it('sets an opaque __Host- session cookie with every protective attribute', async () => {
    const { response } = await signIn(teacher, 'nn');
    expect(response.body).toEqual({ expiresAt: '2026-11-02T20:00:00.000Z', idleTimeoutSeconds: 1800, language: 'nn' });
    const cookie = cookiesOf(response).get(SESSION) as ParsedCookie;
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(cookie.value, 'base64url')).toHaveLength(32);
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.has('secure')).toBe(true);
    expect(cookie.attributes.get('samesite')).toBe('Strict');
    expect(cookie.attributes.get('path')).toBe('/');
    expect(cookie.attributes.has('domain'), '__Host- cookies must not name a domain').toBe(false);
    expect(cookie.attributes.get('max-age')).toBe(String(12 * 3600));
  });

  it('sets a preferences cookie that holds the language and nothing else', async () => {
    const { response } = await signIn(teacher, 'en');
    const cookie = cookiesOf(response).get(PREFS) as ParsedCookie;
    expect(cookie.value).toBe('en');
    expect(cookie.attributes.has('secure')).toBe(true);
    expect(cookie.attributes.get('samesite')).toBe('Strict');
    expect(cookie.attributes.get('path')).toBe('/');
    expect(cookie.attributes.has('domain')).toBe(false);
    expect(Number(cookie.attributes.get('max-age'))).toBeGreaterThan(0);
    expect(response.headers.getSetCookie()).toHaveLength(2);
  });

  it('no cookie value contains or maps publicly to personal data; the server keeps only a hash', async () => {
    const first = await signIn(admin);
    const second = await signIn(admin);
    expect(first.session).not.toBe(second.session);
    const everyCookie = [first.response, second.response].flatMap((response) => response.headers.getSetCookie()).join('\n');
    for (const personal of [admin.id, admin.subject, 'Sesjon', 'sesjon.admin', '0301', 'data-admin']) expect(everyCookie).not.toContain(personal);
    for (const session of [first.session, second.session]) {
      const decoded = Buffer.from(session, 'base64url').toString('latin1');
      for (const personal of [admin.id, admin.subject, '0301']) expect(decoded).not.toContain(personal);
    }
    const { resources } = await test.app.services.cosmos.containers.sessions.items.readAll().fetchAll();
    const stored = JSON.stringify(resources);
    expect(stored).not.toContain(first.session);
    expect(stored).not.toContain(second.session);
    const ids = resources.map((document) => document.id);
    expect(ids).toContain(createHash('sha256').update(first.session).digest('base64url'));
    // The cookie is random: it appears in no response body, URL or other header either.
    expect(JSON.stringify(first.response.body)).not.toContain(first.session);
  });

  it('answers 401 without a token and refuses to start a session from a session cookie', async () => {
    const anonymous = await test.request('POST', '/session', { body: { language: 'nb' } });
    expect(anonymous.status).toBe(401);
    const { session } = await signIn(teacher);
    const fromCookie = await test.request('POST', '/session', { body: { language: 'nb' }, ...changeWithSession(session) });
    expect(fromCookie.status).toBe(401);
    expect(fromCookie.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(fromCookie.headers.getSetCookie().filter((header) => !header.includes('Max-Age=0'))).toEqual([]);
  });

  it('rejects an unknown language and unknown fields with a problem', async () => {
    for (const body of [{ language: 'sv' }, { language: 'nb', userId: teacher.id }, {}]) {
      const response = await test.request('POST', '/session', { token: teacher.token, body });
      expect(response.status).toBe(400);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
  });

  it('a new sign-in ends the session the browser already had', async () => {
    const { session: old } = await signIn(teacher);
    const renewed = await test.request('POST', '/session', { token: teacher.token, body: { language: 'nb' }, ...withSession(old) });
    expect(renewed.status).toBe(201);
    expect((await test.request('GET', '/me', withSession(old))).status).toBe(401);
    const fresh = cookiesOf(renewed).get(SESSION)?.value as string;
    expect((await test.request('GET', '/me', withSession(fresh))).status).toBe(200);
  });
});

describe('the session cookie in place of a bearer token', () => {
  it('works on a GET', async () => {
    const { session } = await signIn(teacher);
    const me = await test.request('GET', '/me', withSession(session));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'staff', userId: teacher.id, municipalityId: '0301' });
    const tenant = await test.request('GET', '/municipalities/0301/students', withSession(session));
    expect(tenant.status).toBe(200);
  });

  it('an unsafe request with the cookie but without X-Requested-With is a 403 problem and changes nothing', async () => {
    const { session } = await signIn(admin);
    const before = await test.request('GET', '/municipalities/0301/schools?limit=100', { token: admin.token });
    const refused = await test.request('POST', '/municipalities/0301/schools', { body: { name: 'CSRF skole' }, ...withSession(session) });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body.type).toBe('urn:engage:problem:csrf-check-failed');
    const wrongValue = await test.request('POST', '/municipalities/0301/schools', { body: { name: 'CSRF skole' }, ...withSession(session, { 'x-requested-with': 'XMLHttpRequest' }) });
    expect(wrongValue.status).toBe(403);
    const after = await test.request('GET', '/municipalities/0301/schools?limit=100', { token: admin.token });
    expect(after.body.items).toHaveLength(before.body.items.length);
    const logout = await test.request('DELETE', '/session', withSession(session));
    expect(logout.status).toBe(403);
    expect((await test.request('GET', '/me', withSession(session))).status).toBe(200);
  });

  it('an unsafe request with the header succeeds, from no origin or an allowed one only', async () => {
    const { session } = await signIn(admin);
    const created = await test.request('POST', '/municipalities/0301/schools', { body: { name: 'Cookie skole' }, ...changeWithSession(session) });
    expect(created.status).toBe(201);
    const allowed = await test.request('POST', '/municipalities/0301/schools', { body: { name: 'Origin skole' }, ...changeWithSession(session, { origin: ALLOWED_ORIGIN }) });
    expect(allowed.status).toBe(201);
    const foreign = await test.request('POST', '/municipalities/0301/schools', { body: { name: 'Fremmed skole' }, ...changeWithSession(session, { origin: 'https://evil.example' }) });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('a bearer-authenticated change needs no CSRF header', async () => {
    const created = await test.request('POST', '/municipalities/0301/schools', { token: admin.token, body: { name: 'Bearer skole' } });
    expect(created.status).toBe(201);
  });

  it('a malformed or unknown cookie is a 401 problem that clears the cookie', async () => {
    for (const value of ['not-a-session', 'A'.repeat(43), '']) {
      const response = await test.request('GET', '/me', withSession(value));
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    const unknown = await test.request('GET', '/me', withSession('A'.repeat(43)));
    expect(parseSetCookie(unknown.headers.getSetCookie()[0] ?? '')).toMatchObject({ name: SESSION, value: '' });
    expect(unknown.headers.getSetCookie()[0]).toContain('Max-Age=0');
  });

  it('resuming a session costs one point read more than a bearer token, and no write within the touch interval', async () => {
    const { session } = await signIn(teacher);
    await test.request('GET', '/me', withSession(session));
    const byCookie = cosmosOperations(await test.request('GET', '/me', withSession(session)));
    const byBearer = cosmosOperations(await test.request('GET', '/me', { token: teacher.token }));
    expect(byCookie['point-read']).toBe((byBearer['point-read'] ?? 0) + 1);
    expect(byCookie.write).toBe(byBearer.write);
    expect(byCookie['cross-partition-query']).toBe(0);
  });
});

describe('expiry (simulated clock)', () => {
  it('ends a session after 30 minutes without use, and activity keeps it alive', async () => {
    const { session } = await signIn(teacher);
    clock.advance(29 * MINUTE);
    expect((await test.request('GET', '/me', withSession(session))).status).toBe(200);
    clock.advance(29 * MINUTE);
    expect((await test.request('GET', '/me', withSession(session))).status).toBe(200);
    clock.advance(30 * MINUTE);
    const expired = await test.request('GET', '/me', withSession(session));
    expect(expired.status).toBe(401);
    expect(expired.headers.getSetCookie()[0]).toContain('Max-Age=0');
    clock.advance(-30 * MINUTE);
    expect((await test.request('GET', '/me', withSession(session))).status, 'an ended session stays ended').toBe(401);
    clock.advance(30 * MINUTE);
  });

  it('ends a session 12 hours after sign-in however active it is', async () => {
    const { session } = await signIn(teacher);
    for (let elapsed = 0; elapsed < 12 * 60 - 25; elapsed += 25) {
      clock.advance(25 * MINUTE);
      expect((await test.request('GET', '/me', withSession(session))).status, `after ${elapsed + 25} minutes`).toBe(200);
    }
    clock.advance(25 * MINUTE);
    expect((await test.request('GET', '/me', withSession(session))).status).toBe(401);
  });

  it('stores a Cosmos ttl on the session for the real service, which the emulator ignores', async () => {
    const { session } = await signIn(teacher);
    const id = createHash('sha256').update(session).digest('base64url');
    const { resource } = await test.app.services.cosmos.containers.sessions.item(id, id).read<{ ttl: number; expiresAt: string }>();
    expect(resource?.ttl).toBeGreaterThanOrEqual(30 * 60);
    expect(resource?.ttl).toBeLessThanOrEqual(30 * 60 + 600);
  });
});

describe('DELETE /api/session', () => {
  it('ends the session and clears both cookies', async () => {
    const { session } = await signIn(teacher);
    const logout = await test.request('DELETE', '/session', changeWithSession(session));
    expect(logout.status).toBe(204);
    const cookies = cookiesOf(logout);
    for (const name of [SESSION, PREFS]) {
      expect(cookies.get(name)?.value, name).toBe('');
      expect(cookies.get(name)?.attributes.get('max-age'), name).toBe('0');
      expect(cookies.get(name)?.attributes.get('path'), name).toBe('/');
    }
    expect((await test.request('GET', '/me', withSession(session))).status).toBe(401);
    const id = createHash('sha256').update(session).digest('base64url');
    const { resources } = await test.app.services.cosmos.containers.sessions.items.readAll().fetchAll();
    expect(resources.map((document) => document.id)).not.toContain(id);
  });

  it('with a bearer token and no cookie just clears the cookies', async () => {
    const logout = await test.request('DELETE', '/session', { token: teacher.token });
    expect(logout.status).toBe(204);
    expect(logout.headers.getSetCookie()).toHaveLength(2);
  });
});

describe('erasure ends the sessions of an erased user', () => {
  it('the cookie stops working and nothing of the session stays stored', async () => {
    const leaving = await createStaffUser(test, '0301', ['teacher'], { name: 'Slettes Lærer' });
    const { session } = await signIn(leaving);
    const { session: other } = await signIn(leaving);
    expect((await test.request('GET', '/me', withSession(session))).status).toBe(200);
    const before = (await test.app.services.cosmos.containers.sessions.items.readAll().fetchAll()).resources.length;
    const erasure = await test.request('DELETE', `/municipalities/0301/users/${leaving.id}?instructionReference=SAK-2026/77`, { token: admin.token });
    expect(erasure.status).toBe(202);
    await erasuresSettled(test);
    const status = await test.request('GET', `/municipalities/0301/erasures/${erasure.body.id}`, { token: admin.token });
    expect(status.body.status).toBe('completed');
    for (const cookie of [session, other]) expect((await test.request('GET', '/me', withSession(cookie))).status).toBe(401);
    const after = await test.app.services.cosmos.containers.sessions.items.readAll().fetchAll();
    // Two sessions and the person's index are gone; nothing names the person's identity any more.
    expect(after.resources.length).toBe(before - 3);
    expect(JSON.stringify(after.resources)).not.toContain(leaving.subject);
  });
});
