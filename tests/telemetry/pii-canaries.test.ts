import { importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { availabilityProbeTimer } from '../../lib/health/availability-probe-timer.js';
import { createLogger } from '../../lib/logger.js';
import { DEV_AUDIENCE, DEV_ISSUER, mintDevToken } from '../../local/dev-issuer.js';
import { createStaffUser, registerMunicipality, startTestApp, type TestApp, type TestResponse } from '../support/test-app.js';
import { recordingIngestion } from './support/recording-ingestion.js';

/**
 * Known PII canaries go in through every door a caller has (bodies, headers, query
 * strings, path segments, tokens), through the main flows and their failures; then
 * nothing the process wrote (Logger lines, Application Insights requests as the real
 * exporter serialises them, stdout/stderr/console) may contain any of them.
 */
const NAME = 'Kanari Fuglesang';
const GIVEN = 'Kanari';
const FAMILY = 'Fuglesang';
const EMAIL = 'kanari.fuglesang@canary.test';
const PHONE = '+47 41 23 45 67';
const NATIONAL_ID = '01010112345';
const IP = '203.0.113.77';
const FREE_TEXT = `${NAME} (${NATIONAL_ID}) ringer fra ${PHONE}, skriv til ${EMAIL}`;

/** The canaries and the ways they could be disguised on the way out. */
function forbiddenForms(): string[] {
  const plain = [GIVEN, FAMILY, EMAIL, 'canary.test', PHONE, PHONE.replace(/\s/g, ''), '41 23 45 67', '41234567', NATIONAL_ID, IP];
  const forms = new Set<string>();
  for (const canary of plain) {
    forms.add(canary.toLowerCase());
    forms.add(encodeURIComponent(canary).toLowerCase());
    // A token or cookie would carry them base64url-encoded: at each of the three alignments.
    for (let offset = 0; offset < 3; offset++) {
      const encoded = Buffer.from('x'.repeat(offset) + canary).toString('base64url');
      const middle = encoded.slice(Math.ceil((offset * 4) / 3), -2);
      if (middle.length >= 6) forms.add(middle);
    }
  }
  return [...forms];
}

function leaks(text: string): string[] {
  const lower = text.toLowerCase();
  return forbiddenForms().filter((form) => (form === form.toLowerCase() ? lower.includes(form) : text.includes(form)));
}

const CANARY_HEADERS = {
  'x-forwarded-for': `${IP}, 198.51.100.23`,
  'user-agent': `Engage/1.0 (${NAME}; ${EMAIL})`,
  cookie: `prefs=${encodeURIComponent(EMAIL)}; tracker=${NATIONAL_ID}`,
  referer: `https://app.example.no/students?name=${encodeURIComponent(NAME)}&phone=${encodeURIComponent(PHONE)}`,
  'x-canary': FREE_TEXT,
};

describe('PII canaries never reach logs, telemetry or process output', () => {
  const logLines: string[] = [];
  const processOutput: string[] = [];
  const ingestion = recordingIngestion();
  const statuses: { step: string; status: number }[] = [];
  let test: TestApp;

  async function call(step: string, method: string, path: string, options: Parameters<TestApp['request']>[2] = {}): Promise<TestResponse<any>> {
    const response = await test.request(method, path, { ...options, headers: { ...CANARY_HEADERS, ...options.headers } });
    statuses.push({ step, status: response.status });
    return response;
  }

  function captureProcessOutput(): void {
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
        processOutput.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return (write as (chunk: string | Uint8Array, ...args: unknown[]) => boolean)(chunk, ...rest);
      });
    }
    // Vitest routes console output around process.stdout, so the console is captured too.
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        processOutput.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg) ?? String(arg))).join(' '));
      });
    }
  }

  beforeAll(async () => {
    vi.stubEnv('APPLICATIONINSIGHTS_STATSBEAT_DISABLED', 'true');
    captureProcessOutput();
    test = await startTestApp({
      env: {
        APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://ingest.invalid/',
        AZURE_REGION: 'norwayeast',
      },
      composition: { logger: createLogger((_level, line) => logLines.push(line)), telemetryIngestion: ingestion.httpClient },
    });
    const m = '0301';
    const operator = await test.operatorToken();
    await registerMunicipality(test, m, `${NAME} kommune`);

    // Main flows, with canaries in every personal field.
    const admin = await createStaffUser(test, m, ['municipality-admin', 'data-admin'], { name: NAME, email: EMAIL, phone: PHONE });
    const school = await call('create school', 'POST', `/municipalities/${m}/schools`, { token: admin.token, body: { name: `${NAME} skole` } });
    const teacher = await createStaffUser(test, m, ['teacher'], { name: `${GIVEN} Lærer ${FAMILY}`, email: `l.${EMAIL}`, schoolIds: [school.body.id] });
    const student = await call('create student', 'POST', `/municipalities/${m}/students`, {
      token: admin.token,
      body: { givenName: GIVEN, familyName: FAMILY, birthDate: '2012-01-01', schoolId: school.body.id, yearLevel: 8 },
    });
    await call('create group', 'POST', `/municipalities/${m}/groups`, {
      token: admin.token,
      body: { schoolId: school.body.id, name: `${FAMILY}s gruppe`, teacherIds: [teacher.id], studentIds: [student.body.id] },
    });
    const records = `/municipalities/${m}/students/${student.body.id}`;
    const evaluation = await call('create evaluation', 'POST', `${records}/evaluations`, {
      token: teacher.token,
      body: { subjectCode: 'NOR1206', date: '2026-10-01', text: FREE_TEXT },
    });
    await call('read evaluation', 'GET', `${records}/evaluations/${evaluation.body.id}`, { token: teacher.token });
    await call('list students', 'GET', `/municipalities/${m}/students?limit=10`, { token: teacher.token });
    const read = await call('read student', 'GET', records, { token: admin.token });
    await call('patch student', 'PATCH', records, {
      token: admin.token,
      body: { familyName: `${FAMILY}-${FAMILY}` },
      headers: { 'if-match': read.headers.get('etag') ?? '' },
    });
    await call('patch student with a stale etag', 'PATCH', records, {
      token: admin.token,
      body: { givenName: NAME },
      headers: { 'if-match': read.headers.get('etag') ?? '' },
    });
    await call('read audit', 'GET', `/municipalities/${m}/audit`, { token: admin.token });
    await call('complaint', 'POST', '/complaints', { body: { name: NAME, contact: `${EMAIL} / ${PHONE}`, text: FREE_TEXT, municipalityId: m } });
    await call('support request', 'POST', '/support-requests', { token: teacher.token, body: { subject: NAME, message: FREE_TEXT } });
    await call('consent', 'PUT', '/me/consents/newsletter', { token: teacher.token, body: { granted: true } });
    await call('me', 'GET', '/me', { token: admin.token });
    await call('health', 'GET', '/health');

    // The caller's mistakes, carrying canaries.
    await call('unknown field', 'POST', `/municipalities/${m}/students`, {
      token: admin.token,
      body: { givenName: GIVEN, familyName: FAMILY, birthDate: '2012-01-01', schoolId: school.body.id, yearLevel: 8, fodselsnummer: NATIONAL_ID, email: EMAIL },
    });
    await call('invalid values', 'POST', `/municipalities/${m}/users`, {
      token: operator,
      body: { name: NAME, email: `${NAME} <${EMAIL}>`, phone: `tlf ${PHONE}`, roles: [NAME], schoolIds: [NATIONAL_ID], identity: { issuer: EMAIL, subject: NAME } },
    });
    await call('malformed json', 'POST', `/municipalities/${m}/schools`, { token: admin.token, rawBody: `{"name": "${NAME}", ${EMAIL}`, headers: { 'content-type': 'application/json' } });
    await call('wrong media type', 'POST', `/municipalities/${m}/schools`, { token: admin.token, rawBody: FREE_TEXT, headers: { 'content-type': 'text/plain' } });
    await call('unknown query', 'GET', `/municipalities/${m}/students?name=${encodeURIComponent(NAME)}&email=${encodeURIComponent(EMAIL)}&fnr=${NATIONAL_ID}`, { token: admin.token });
    await call('repeated query', 'GET', `/municipalities/${m}/students?limit=${encodeURIComponent(PHONE)}&limit=${NATIONAL_ID}`, { token: admin.token });
    await call('bad continuation token', 'GET', `/municipalities/${m}/students?continuationToken=${Buffer.from(FREE_TEXT).toString('base64url')}`, { token: admin.token });
    await call('canary in path', 'GET', `/municipalities/${m}/students/${encodeURIComponent(NAME)}`, { token: admin.token });
    await call('canary route', 'GET', `/people/${encodeURIComponent(EMAIL)}?phone=${encodeURIComponent(PHONE)}`);
    await call('canary municipality', 'GET', `/municipalities/${NATIONAL_ID}`, { token: admin.token });

    // Malformed, forged, expired and unregistered tokens.
    await call('not a bearer token', 'GET', '/me', { headers: { authorization: `Basic ${Buffer.from(`${EMAIL}:${NATIONAL_ID}`).toString('base64')}` } });
    await call('garbage token', 'GET', '/me', { token: `${EMAIL}.${NATIONAL_ID}.${GIVEN}` });
    const claims = { name: NAME, email: EMAIL, phone_number: PHONE, nin: NATIONAL_ID };
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(DEV_ISSUER).setAudience(DEV_AUDIENCE).setSubject(EMAIL)
      .setExpirationTime('1h').sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!'));
    await call('forged token', 'GET', '/me', { token: forged });
    const devKey = await importJWK(test.keys.privateJwk, 'ES256');
    const signed = (expiry: number | string, subject: string) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: test.keys.privateJwk.kid as string }).setIssuer(DEV_ISSUER)
        .setAudience(DEV_AUDIENCE).setSubject(subject).setIssuedAt().setExpirationTime(expiry).sign(devKey);
    await call('expired token', 'GET', '/me', { token: await signed(Math.floor(Date.UTC(2020, 0, 1) / 1000), EMAIL) });
    await call('unregistered person', 'GET', '/me', { token: await signed('1h', `${NAME} ${NATIONAL_ID}`) });
    await call('unregistered person on a tenant route', 'GET', `/municipalities/${m}/students`, { token: await mintDevToken(test.keys, EMAIL) });

    // Custom telemetry, the probe, and deliberate canaries through the app's own Logger
    // and Telemetry: the positive control that the capture sees what the app emits.
    await availabilityProbeTimer.run(test.app.services);
    test.app.services.logger.warn(`control ${NAME}`, { email: EMAIL, phone: PHONE, path: `/x?name=${encodeURIComponent(NAME)}`, ip: IP });
    test.app.services.telemetry.trackEvent('PiiCanaryControl', { studentName: NAME, contact: `${EMAIL} ${PHONE}`, nationalId: NATIONAL_ID, url: `/x?q=${GIVEN}` });
    test.app.services.telemetry.trackMetric('PiiCanaryControlMetric', 1, { guardianName: NAME, municipalityId: m });
    await test.app.services.telemetry.flush();
  }, 120_000);

  afterAll(async () => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    await test.close();
  });

  it('ran the flows for real: the canaries went in and the bad requests got 4xx, never 5xx', () => {
    expect(statuses.filter((entry) => entry.status >= 500)).toEqual([]);
    const status = (step: string) => statuses.find((entry) => entry.step === step)?.status;
    expect(status('create student')).toBe(201);
    expect(status('create evaluation')).toBe(201);
    expect(status('patch student')).toBe(200);
    expect(status('patch student with a stale etag')).toBe(412);
    expect(status('complaint')).toBe(201);
    for (const step of ['unknown field', 'invalid values', 'malformed json', 'unknown query', 'canary in path']) expect(status(step)).toBe(400);
    for (const step of ['garbage token', 'forged token', 'expired token']) expect(status(step)).toBe(401);
  });

  it('no canary in any Logger line', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.find((line) => line.includes('control'))).toContain('[name]');
    expect(leaks(logLines.join('\n'))).toEqual([]);
  });

  it('no canary in anything sent to Application Insights', () => {
    const envelopes = ingestion.envelopes();
    const types = new Set(envelopes.map((envelope) => envelope.data.baseType));
    // Dependencies also go out when the SDK's rate-limited sampler keeps them; not every run.
    expect(types).toContain('AvailabilityData');
    expect(types).toContain('EventData');
    const control = envelopes.find((envelope) => envelope.data.baseData.name === 'PiiCanaryControl');
    expect(control?.data.baseData.properties).toMatchObject({ studentName: '[redacted]', contact: '[email] [phone]', nationalId: '[national-id]', url: '/x' });
    expect(leaks(ingestion.bodies.join('\n'))).toEqual([]);
  });

  it('no canary and no bearer token on stdout, stderr or the console', () => {
    const output = processOutput.join('\n');
    expect(leaks(output)).toEqual([]);
    expect(output).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\./);
    expect(`${logLines.join('\n')}\n${ingestion.bodies.join('\n')}`).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\./);
  });
});
