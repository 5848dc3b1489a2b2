import { createHash } from 'node:crypto';
import type { PluginConfig } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContinuationSealer } from '../../lib/paging/continuation-sealer.js';
import { keyedDigest } from '../../lib/privacy/keyed-digest.js';
import { ManualClock } from '../support/manual-clock.js';
import { buildSchoolWorld, type SchoolWorld } from '../support/school-world.js';
import { startTestApp, type TestApp, type TestResponse } from '../support/test-app.js';

/** Every query the app sends to Cosmos DB, with the continuation it carried. */
const queries: { text: string; continuation: string | undefined }[] = [];
const recordQueries: PluginConfig = {
  on: 'request',
  plugin: async (context, diagnostics, next) => {
    const { operationType, resourceType, body, headers } = context as { operationType?: string; resourceType?: string; body?: unknown; headers?: Record<string, unknown> };
    if (resourceType === 'docs' && operationType === 'query') {
      const continuation = headers?.['x-ms-continuation'];
      queries.push({ text: JSON.stringify(body), continuation: typeof continuation === 'string' ? continuation : undefined });
    }
    return next(context);
  },
};

let test: TestApp;
let world: SchoolWorld;
let base: string;
let admin: string;
const database = `test-paging-${Date.now().toString(36)}`;

beforeAll(async () => {
  test = await startTestApp({ env: { COSMOS_DATABASE: database }, composition: { cosmosPlugins: [recordQueries] } });
  world = await buildSchoolWorld(test, '5001', '5501');
  base = `/municipalities/${world.home}`;
  admin = world.actors.dataAdmin.token;
}, 120_000);
afterAll(() => test.close());

const envelope = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const sha256 = (value: string) => createHash('sha256').update(value).digest();

function expectInvalidToken(response: TestResponse): void {
  expect(response.status).toBe(400);
  expect(response.body).toMatchObject({
    type: 'urn:engage:problem:invalid-continuation-token',
    errors: [{ field: 'query/continuationToken', message: expect.any(String) }],
  });
}

async function firstStudentPage(query = ''): Promise<{ id: string; token: string }> {
  const response = await test.request('GET', `${base}/students?limit=1${query}`, { token: admin });
  expect(response.status).toBe(200);
  expect(response.body.continuationToken).toEqual(expect.any(String));
  return { id: response.body.items[0].id, token: response.body.continuationToken };
}

describe('continuation tokens are sealed with a keyed MAC', () => {
  it('a genuine token pages on, and the last page has none', async () => {
    const seen: string[] = [];
    let token: string | null = null;
    do {
      const query: string = token ? `&continuationToken=${encodeURIComponent(token)}` : '';
      const response = await test.request('GET', `${base}/students?limit=1${query}`, { token: admin });
      expect(response.status).toBe(200);
      seen.push(...response.body.items.map((item: { id: string }) => item.id));
      token = response.body.continuationToken;
    } while (token);
    expect(seen.sort()).toEqual([world.students.inGroup, world.students.sameSchool, world.students.otherSchool].sort());
    // The recorder sees the continuation Cosmos gets, so the forgery test below can rely on it.
    expect(queries.some((query) => query.continuation !== undefined && query.text.includes("c.type = 'student'"))).toBe(true);
  });

  it('a forged token (unkeyed digests recomputed, an inner token made up) is 400 and reaches no Cosmos query', async () => {
    const inner = JSON.stringify([{ token: '+RID:~forged-by-the-caller==#RT:1#TRC:1', range: { min: '', max: 'FF' } }]);
    const listQuery = "SELECT * FROM c WHERE c.municipalityId = @pk0 AND (c.type = 'student' AND NOT IS_DEFINED(c.erasureId) AND true)";
    const forgeries = [
      // The old envelope: an unkeyed sha256 of the scope string.
      envelope({ v: 1, s: sha256(`directory|${JSON.stringify([['municipalityId', world.home]])}|${listQuery}`).toString('base64url').slice(0, 16), c: inner }),
      // The current envelope with the MAC replaced by an unkeyed hash of what it covers.
      envelope({ v: 2, c: inner, m: sha256(JSON.stringify([['query-page', 'directory', [['municipalityId', world.home]], listQuery, []], inner])).toString('base64url') }),
      envelope({ v: 2, c: inner, m: '' }),
    ];
    for (const forged of forgeries) {
      const before = queries.length;
      const response = await test.request('GET', `${base}/students?limit=1&continuationToken=${forged}`, { token: admin });
      expectInvalidToken(response);
      expect(response.text).not.toContain('forged-by-the-caller');
      const sent = queries.slice(before);
      expect(sent.filter((query) => query.text.includes("c.type = 'student'"))).toEqual([]);
      expect(sent.filter((query) => query.continuation !== undefined)).toEqual([]);
    }
  });

  it('a genuine inner token re-wrapped under a guessed MAC is 400', async () => {
    const { token } = await firstStudentPage();
    const { c } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { c: string };
    const rewrapped = envelope({ v: 2, c, m: sha256(c).toString('base64url') });
    expectInvalidToken(await test.request('GET', `${base}/students?limit=1&continuationToken=${rewrapped}`, { token: admin }));
  });

  it('a token replayed on another list of the same partition is 400', async () => {
    const { token } = await firstStudentPage();
    expectInvalidToken(await test.request('GET', `${base}/schools?limit=1&continuationToken=${token}`, { token: admin }));
    expectInvalidToken(await test.request('GET', `${base}/users?limit=1&continuationToken=${token}`, { token: admin }));
  });

  it("a token replayed on another municipality's partition is 400", async () => {
    const { token } = await firstStudentPage();
    const foreign = await test.request('GET', `/municipalities/${world.foreign}/students?limit=1&continuationToken=${token}`, { token: world.actors.foreignAdmin.token });
    expectInvalidToken(foreign);
  });

  it('a token replayed with other filter parameters is 400', async () => {
    const { token } = await firstStudentPage();
    expectInvalidToken(await test.request('GET', `${base}/students?limit=1&status=active&continuationToken=${token}`, { token: admin }));
    const filtered = await firstStudentPage('&status=active');
    expectInvalidToken(await test.request('GET', `${base}/students?limit=1&status=leaver&continuationToken=${filtered.token}`, { token: admin }));
    expectInvalidToken(await test.request('GET', `${base}/students?limit=1&schoolId=${world.schools.own}&continuationToken=${filtered.token}`, { token: admin }));
    const same = await test.request('GET', `${base}/students?limit=1&status=active&continuationToken=${filtered.token}`, { token: admin });
    expect(same.status).toBe(200);
    expect(same.body.items[0].id).not.toBe(filtered.id);
  });

  it('the key is the app secret: an app with another PRIVACY_DIGEST_KEY refuses the token over the same data', async () => {
    const { token } = await firstStudentPage();
    const other = await startTestApp({ env: { COSMOS_DATABASE: database, PRIVACY_DIGEST_KEY: 'another-secret-of-at-least-32-characters' } });
    try {
      const response = await other.request('GET', `${base}/students?limit=1&continuationToken=${token}`, { token: await other.token(world.actors.dataAdmin.subject) });
      expectInvalidToken(response);
      expect((await other.request('GET', `${base}/students?limit=1`, { token: await other.token(world.actors.dataAdmin.subject) })).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe('lists filtered by the server clock', () => {
  it('page on while the clock moves: the token binds the caller\'s filters, not the value of `now`', async () => {
    const clock = new ManualClock('2031-03-01T09:00:00.000Z');
    const app = await startTestApp({ clock });
    try {
      const operator = await app.operatorToken();
      for (const name of ['Kari', 'Ola', 'Per']) {
        expect((await app.request('POST', '/complaints', { body: { name, contact: `${name}@example.test`, text: 'Ingen svar.' } })).status).toBe(201);
      }
      clock.advance(15 * 86_400_000);
      for (const list of ['/complaints?overdue=true&year=2031&limit=1', '/complaints?overdue=true&limit=1']) {
        const first = await app.request('GET', list, { token: operator });
        expect(first.body.continuationToken).toEqual(expect.any(String));
        clock.advance(60_000);
        const next = await app.request('GET', `${list}&continuationToken=${encodeURIComponent(first.body.continuationToken)}`, { token: operator });
        expect(next.status).toBe(200);
        expect(next.body.items[0].id).not.toBe(first.body.items[0].id);
      }
    } finally {
      await app.close();
    }
  });
});

describe('ContinuationSealer', () => {
  it('seals with a key of its own: a keyed digest under the app secret itself does not verify', () => {
    const secret = 'an-app-secret-of-at-least-32-characters';
    const sealer = ContinuationSealer.fromSecret(secret);
    const binding = ['query-page', 'directory', [['municipalityId', '0301']], 'SELECT * FROM c', []];
    expect(sealer.open(binding, sealer.seal(binding, 'inner'))).toBe('inner');
    const digestAsMac = envelope({ v: 2, c: 'inner', m: keyedDigest(secret, JSON.stringify([binding, 'inner'])) });
    expect(() => sealer.open(binding, digestAsMac)).toThrow(expect.objectContaining({ slug: 'invalid-continuation-token' }));
  });
});
