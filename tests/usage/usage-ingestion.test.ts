import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountBucket, PLATFORM_TENANT, platformBucket } from '../../lib/usage/usage-model.js';
import { cosmosOperations, createStaffUser, registerMunicipality, startTestApp, type SeededUser, type TestApp } from '../support/test-app.js';
import { allDocuments, ManualClock } from './usage-fixtures.js';

const NOW = '2031-03-10T12:00:00.000Z';
const MONTH = '2031-03';

let test: TestApp;
let teacher: SeededUser;
const clock = new ManualClock(NOW);

beforeAll(async () => {
  test = await startTestApp({ clock, env: { MAX_BODY_BYTES: '65536' } });
  await registerMunicipality(test, '0301');
  teacher = await createStaffUser(test, '0301', ['teacher']);
});
afterAll(() => test.close());

const event = (extra: Record<string, unknown> = {}) => ({ type: 'feature-use', feature: 'grades/list', at: '2031-03-10T11:59:00Z', ...extra });

async function accountRecords(accountId: string): Promise<Record<string, unknown>[]> {
  await test.app.services.requestLog.flush();
  const documents = await allDocuments(test.app.services.cosmos.containers.usage);
  return documents.filter((document) => document.accountBucket === accountBucket(accountId, MONTH));
}

describe('POST /usage/events (P6)', () => {
  it('accepts a batch, adds the time received, the client IP and the user agent, and answers 202', async () => {
    const response = await test.request('POST', '/usage/events', {
      token: teacher.token,
      headers: { 'user-agent': 'EngageApp/3.1 (iPhone; iOS 17.4)' },
      body: { events: [event(), event({ type: 'page-view', feature: 'students', deviceId: 'device-0001-abcd' })] },
    });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ accepted: 2 });
    // One bulk write for the events (plus the month marker the first time): no per-event round trips.
    // A daily usage cell (P7) per feature, the first time: the patches of both find none, the day's
    // index is patched (none) and created listing both, then both cells are created.
    // The rate counter: two guard writes the first time in its window (the increment finds none, then it is created).
    expect(cosmosOperations(response)).toMatchObject({ write: 2 + 6, 'guard-write': 2, 'cross-partition-query': 0 });

    const stored = (await accountRecords(teacher.id)).filter((document) => document.type === 'usage-event');
    expect(stored).toHaveLength(2);
    expect(stored).toContainEqual(expect.objectContaining({
      municipalityId: '0301',
      accountId: teacher.id,
      eventType: 'page-view',
      feature: 'students',
      deviceId: 'device-0001-abcd',
      at: '2031-03-10T11:59:00.000Z',
      receivedAt: NOW,
      ip: '127.0.0.1',
      userAgent: 'EngageApp/3.1 (iPhone; iOS 17.4)',
    }));
  });

  it('a second batch in the same month costs one write, one patch of the day\'s usage cell, and one increment of the rate counter', async () => {
    const response = await test.request('POST', '/usage/events', { token: teacher.token, body: { events: [event()] } });
    expect(response.status).toBe(202);
    expect(cosmosOperations(response)).toMatchObject({ write: 2, 'guard-write': 1, 'point-read': 0, 'partition-query': 0 });
  });

  it('refuses bad input with a 400 problem naming the field, and stores nothing', async () => {
    const before = (await accountRecords(teacher.id)).filter((document) => document.type === 'usage-event').length;
    const cases: [unknown, string][] = [
      [{}, 'body/events'],
      [{ events: [] }, 'body/events'],
      [{ events: [event({ note: 'free text about a pupil' })] }, 'body/events/0'],
      [{ events: [event({ type: 'keystroke' })] }, 'body/events/0/type'],
      [{ events: [event({ feature: 'Grades of Ola Nordmann' })] }, 'body/events/0/feature'],
      [{ events: [event({ at: 'yesterday' })] }, 'body/events/0/at'],
      [{ events: [event({ deviceId: 'x' })] }, 'body/events/0/deviceId'],
      [{ events: [event(), event({ at: '2031-01-01T00:00:00Z' })] }, 'body/events/1/at'],
      [{ events: [event({ at: '2031-03-11T12:00:00Z' })] }, 'body/events/0/at'],
      [{ events: [event()], extra: true }, 'body'],
      [{ events: Array.from({ length: 101 }, () => event()) }, 'body/events'],
    ];
    for (const [body, field] of cases) {
      const response = await test.request('POST', '/usage/events', { token: teacher.token, body });
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
      expect(response.text).not.toContain('Ola Nordmann');
    }
    const tooLarge = await test.request('POST', '/usage/events', {
      token: teacher.token,
      body: { events: Array.from({ length: 100 }, () => event({ feature: `a${'b'.repeat(98)}` })), padding: 'x'.repeat(60_000) },
    });
    expect(tooLarge.status).toBe(413);
    const after = (await accountRecords(teacher.id)).filter((document) => document.type === 'usage-event').length;
    expect(after).toBe(before);
  });

  it('is for staff accounts: no token 401, platform operator and unregistered identity 403', async () => {
    expect((await test.request('POST', '/usage/events', { body: { events: [event()] } })).status).toBe(401);
    expect((await test.request('POST', '/usage/events', { token: await test.operatorToken(), body: { events: [event()] } })).status).toBe(403);
    expect((await test.request('POST', '/usage/events', { token: await test.token('nobody-registered'), body: { events: [event()] } })).status).toBe(403);
  });
});

describe('POST /me/devices (P6)', () => {
  it('registers model, OS, device id, network and phone, linked to the account, and answers 201', async () => {
    const response = await test.request('POST', '/me/devices', {
      token: teacher.token,
      body: { deviceId: 'device-0001-abcd', model: 'iPhone 15 Pro', os: 'ios', osVersion: '17.4.1', network: 'Telenor', phone: '+47 912 34 567' },
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ id: expect.any(String), registeredAt: NOW });
    expect(response.text).not.toContain('912 34 567');
    const device = (await accountRecords(teacher.id)).find((document) => document.id === response.body.id);
    expect(device).toMatchObject({ type: 'device-registration', accountId: teacher.id, deviceId: 'device-0001-abcd', phone: '+47 912 34 567', model: 'iPhone 15 Pro' });
  });

  it('refuses unknown fields and malformed values', async () => {
    const valid = { deviceId: 'device-0002-abcd', model: 'Pixel 8', osVersion: '14' };
    for (const body of [{ ...valid, imei: '490154203237518' }, { ...valid, phone: 'call me' }, { ...valid, os: 'beos' }, { model: 'Pixel 8', osVersion: '14' }]) {
      const response = await test.request('POST', '/me/devices', { token: teacher.token, body });
      expect(response.status).toBe(400);
      expect(response.text).not.toContain('490154203237518');
    }
  });
});

describe('the request log (P6)', () => {
  it('records every API call with its route template, never the raw URL or query string', async () => {
    const response = await test.request('GET', '/municipalities/0301?probe=kari.nordmann%40example.test', {
      token: teacher.token,
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0' },
    });
    expect(response.status).toBe(400);
    const ok = await test.request('GET', '/municipalities/0301', { token: teacher.token });
    expect(ok.status).toBe(200);
    // Writing the log is not part of the request's own Cosmos cost.
    expect(cosmosOperations(ok)).toMatchObject({ write: 0, 'point-read': 1 });

    const logs = (await accountRecords(teacher.id)).filter((document) => document.type === 'request-log' && document.route === '/municipalities/{municipalityId}');
    expect(logs.map((log) => log.status).sort()).toEqual([200, 400]);
    expect(logs[0]).toMatchObject({ actor: 'staff', accountId: teacher.id, method: 'GET', ip: '127.0.0.1', durationMs: expect.any(Number), at: NOW });
    const text = JSON.stringify(logs);
    expect(text).not.toContain('?');
    expect(text).not.toContain('probe');
    expect(text).not.toContain('kari');
    expect(text).toContain('Firefox/125.0');
  });

  it('logs callers who are no tenant account without any account link, in the platform day bucket', async () => {
    await test.request('GET', '/health');
    await test.request('GET', '/municipalities', { token: await test.operatorToken() });
    await test.request('GET', '/me', { token: await test.token('an-unregistered-subject') });
    await test.app.services.requestLog.flush();
    const platform = (await allDocuments(test.app.services.cosmos.containers.usage)).filter(
      (document) => document.municipalityId === PLATFORM_TENANT && document.accountBucket === platformBucket('2031-03-10'),
    );
    expect(new Set(platform.map((document) => document.actor))).toEqual(new Set(['anonymous', 'operator', 'unregistered']));
    expect(platform.every((document) => document.accountId === undefined)).toBe(true);
    expect(JSON.stringify(platform)).not.toMatch(/dev-platform-operator|an-unregistered-subject/);
  });
});
