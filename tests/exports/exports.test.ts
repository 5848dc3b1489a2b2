import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erasuresSettled } from '../support/erasures.js';
import type { ExportSection, PrivacySubject } from '../../lib/privacy/privacy-provider.js';
import { buildSchoolWorld, type SchoolWorld } from '../support/school-world.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { ManualClock } from '../support/manual-clock.js';

const DAY = 86_400_000;
const INJECTION = '=HYPERLINK("https://evil.example","klikk")';

const clock = new ManualClock();
let test: TestApp;
let world: SchoolWorld;
let admin: string;
let disclosureId: string;

const exportsPath = () => `/municipalities/${world.home}/exports`;

async function createExport(body: Record<string, unknown>, token = admin) {
  return test.request('POST', exportsPath(), { token, body });
}

async function download(path: string, token = admin) {
  const response = await fetch(`${test.url}${path.replace(/^\/api/, '')}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Every document of container `exports` (a cross-partition read only a test may make). */
async function storedDocuments(): Promise<number> {
  const { resources } = await test.app.services.cosmos.containers.exports.items.readAll().fetchAll();
  return resources.length;
}

async function storedExportBlobs(): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of test.app.services.blob.getContainerClient('exports').listBlobsFlat({ prefix: `${world.home}/` })) names.push(blob.name);
  return names;
}

async function subjectOf(type: 'student' | 'user', id: string): Promise<PrivacySubject> {
  if (type === 'student') {
    const student = (await test.app.services.students.get(world.home, id)).value;
    return { municipalityId: world.home, type, id, since: student.createdAt };
  }
  const user = (await test.app.services.users.get(world.home, id)).value;
  return { municipalityId: world.home, type, id, identity: user.identity, since: user.createdAt };
}

/** Minimal RFC 4180 reader: quoted cells, doubled quotes, CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      index++;
    } else cell += char;
  }
  return rows;
}

async function waitForRun(job: string, id: string): Promise<Record<string, unknown>> {
  const token = await test.operatorToken();
  for (let attempt = 0; attempt < 200; attempt++) {
    const response = await test.request('GET', `/operations/jobs/${job}/runs/${id}`, { token });
    if (response.body.status === 'completed' || response.body.status === 'failed') return response.body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the run did not finish');
}

beforeAll(async () => {
  test = await startTestApp({ clock });
  // Municipalities of their own: the emulators' blob container `exports` is shared by every test file.
  world = await buildSchoolWorld(test, '3901', '3902');
  admin = world.actors.dataAdmin.token;
  const teacher = world.actors.groupTeacher.token;
  const home = world.home;
  // Data of every kind about the student in the group and their teacher.
  await test.request('GET', `/municipalities/${home}/students/${world.students.inGroup}`, { token: teacher });
  const evaluation = await test.request('POST', `/municipalities/${home}/students/${world.students.inGroup}/evaluations`, {
    token: teacher,
    body: { subjectCode: 'NOR1206', date: '2026-10-20', text: INJECTION },
  });
  expect(evaluation.status, evaluation.text).toBe(201);
  expect((await test.request('POST', '/session', { token: teacher, body: { language: 'nn' } })).status).toBe(201);
  expect((await test.request('PUT', '/me/consents/newsletter', { token: teacher, body: { granted: true } })).status).toBeLessThan(300);
  expect((await test.request('POST', '/support-requests', { token: teacher, body: { subject: 'Innlogging', message: 'Kommer ikke inn.' } })).status).toBe(201);
  await test.request('POST', '/usage/events', { token: teacher, body: { events: [{ type: 'feature-use', feature: 'grades/list', at: clock.now().toISOString() }] } });
  await test.request('POST', '/me/devices', { token: teacher, body: { deviceId: 'device-12345', model: 'Pixel 8', osVersion: '15' } });
  const disclosure = await test.request('POST', `/municipalities/${home}/disclosures`, {
    token: admin,
    body: { recipient: 'Oslo tingrett', basis: 'court-order', reference: 'TOSLO-2026/1234', dataCategories: ['identity', 'grades'], subjectIds: [world.students.inGroup, world.actors.groupTeacher.id] },
  });
  expect(disclosure.status, disclosure.text).toBe(201);
  disclosureId = disclosure.body.id;
}, 120_000);
afterAll(() => test.close());

describe('exports (P14): every provider, every item', () => {
  for (const type of ['student', 'user'] as const) {
    it(`a JSON export of a ${type} holds every privacy provider's data about them`, async () => {
      const subjectId = type === 'student' ? world.students.inGroup : world.actors.groupTeacher.id;
      const providers = test.app.services.privacy.for(type);
      const subject = await subjectOf(type, subjectId);
      // The request log is written in the background: settle it, or the usage count moves under the test.
      await test.app.services.requestLog.flush();
      const before = new Map<string, number>();
      for (const provider of providers) before.set(provider.name, (await provider.export(subject)).items.length);
      const created = await createExport({ subjectType: type, subjectId, format: 'json', recipient: 'controller' });
      expect(created.status, created.text).toBe(201);
      expect(created.body).toMatchObject({ status: 'ready', subjectType: type, subjectId, format: 'json', recipient: 'controller', disclosureId: null });
      expect(created.headers.get('location')).toBe(`/api${exportsPath()}/${created.body.id}`);
      const status = await test.request('GET', `${exportsPath()}/${created.body.id}`, { token: admin });
      expect(status.body.download).toBe(`/api${exportsPath()}/${created.body.id}/download`);

      const file = await download(status.body.download);
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(file.headers.get('content-disposition')).toBe(`attachment; filename="export-${created.body.id}.json"`);
      expect(file.headers.get('cache-control')).toBe('no-store');
      const document = JSON.parse(file.text) as { subject: unknown; sections: ExportSection[] };
      expect(document.subject).toEqual({ type, id: subjectId });

      expect(document.sections.map((section) => section.provider)).toEqual(providers.map((provider) => provider.name));
      for (const provider of providers) {
        const section = document.sections.find((candidate) => candidate.provider === provider.name) as ExportSection;
        // The exports provider also lists this export itself, made before the file was.
        const expected = (before.get(provider.name) ?? 0) + (provider.name === 'exports' ? 1 : 0);
        expect(section.items.length, `${provider.name}: every item it holds about the ${type}`).toBe(expected);
      }
      const nonEmpty = document.sections.filter((section) => section.items.length > 0).map((section) => section.provider);
      const expected = type === 'student'
        ? ['directory.students', 'directory.groups', 'records', 'audit', 'disclosures', 'exports']
        : ['directory.users', 'directory.groups', 'records', 'audit', 'sessions', 'governance.consents', 'governance.support', 'disclosures', 'exports'];
      expect(nonEmpty).toEqual(expect.arrayContaining(expected));
      expect(created.body.sections).toEqual(document.sections.map((section) => ({ provider: section.provider, items: section.items.length })));
      if (type === 'student') {
        for (const id of [...Object.values(world.records.inGroup), world.group]) expect(file.text).toContain(id);
        expect(file.text).toContain('Åse');
        expect(file.text).toContain('Oslo tingrett');
      } else {
        expect(file.text).toContain(world.actors.groupTeacher.subject);
        expect(file.text).toContain('Kommer ikke inn.');
      }
    });
  }

  it('a CSV export has one row per item (a row for each provider without items) and is safe against CSV injection', async () => {
    const created = await createExport({ subjectType: 'student', subjectId: world.students.inGroup, format: 'csv', recipient: 'controller' });
    expect(created.status).toBe(201);
    const file = await download(created.body.download);
    expect(file.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="export-${created.body.id}.csv"`);
    // fetch's text() drops the byte order mark; the blob keeps it.
    const raw = await test.app.services.blob.getContainerClient('exports').getBlockBlobClient(`${world.home}/${created.body.id}.csv`).downloadToBuffer();
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const [header, ...rows] = parseCsv(file.text);
    expect(header?.slice(0, 3)).toEqual(['provider', 'description', 'item']);
    const expectedRows = (created.body.sections as { provider: string; items: number }[]).reduce((total, section) => total + Math.max(1, section.items), 0);
    expect(rows).toHaveLength(expectedRows);
    for (const provider of test.app.services.privacy.for('student')) expect(rows.some((row) => row[0] === provider.name), provider.name).toBe(true);
    const cells = rows.flat();
    expect(cells).toContain(`'${INJECTION}`);
    expect(cells.filter((cell) => /^[=+\-@]/.test(cell))).toEqual([]);
    expect(cells).toContain('Åse');
  });
});

describe('third parties need a registered disclosure (P13)', () => {
  const thirdParty = (extra: Record<string, unknown>) => ({ subjectType: 'student', subjectId: world.students.inGroup, format: 'json', recipient: 'third-party', ...extra });

  it('refuses an export to a third party without a disclosure, and writes nothing', async () => {
    const documents = await storedDocuments();
    const blobs = (await storedExportBlobs()).length;
    const refused = await createExport(thirdParty({}));
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body.type).toBe('urn:engage:problem:disclosure-required');
    expect(await storedDocuments()).toBe(documents);
    expect(await storedExportBlobs()).toHaveLength(blobs);
  });

  it('refuses a disclosure that does not list the subject, or that another municipality registered', async () => {
    const documents = await storedDocuments();
    const otherStudent = await createExport(thirdParty({ subjectId: world.students.otherSchool, disclosureId }));
    expect(otherStudent.status).toBe(422);
    const foreign = await test.request('POST', `/municipalities/${world.foreign}/disclosures`, {
      token: world.actors.foreignAdmin.token,
      body: { recipient: 'Bergen tingrett', basis: 'court-order', reference: 'TBERG-1', dataCategories: ['identity'], subjectIds: [world.students.foreign] },
    });
    expect(foreign.status).toBe(201);
    const foreignDisclosure = await createExport(thirdParty({ disclosureId: foreign.body.id }));
    expect(foreignDisclosure.status).toBe(422);
    expect(foreignDisclosure.text).not.toContain('Bergen');
    expect(await storedDocuments(), 'only the foreign disclosure was added').toBe(documents + 1);
  });

  it('accepts a third-party export that names a disclosure listing the subject', async () => {
    const created = await createExport(thirdParty({ disclosureId }));
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ recipient: 'third-party', disclosureId, status: 'ready' });
    const file = JSON.parse((await download(created.body.download)).text) as { recipient: string; disclosureId: string };
    expect(file).toMatchObject({ recipient: 'third-party', disclosureId });
  });

  it('a disclosure id on an export to the controller is bad input', async () => {
    const refused = await createExport({ subjectType: 'student', subjectId: world.students.inGroup, format: 'json', recipient: 'controller', disclosureId });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'body/disclosureId' })]);
  });
});

describe('who may export', () => {
  it('only the data admin of the municipality; a foreign subject is 404 and nothing is written', async () => {
    const body = { subjectType: 'student', subjectId: world.students.inGroup, format: 'json', recipient: 'controller' };
    expect((await createExport(body, world.actors.municipalityAdmin.token)).status).toBe(403);
    expect((await createExport(body, world.actors.groupTeacher.token)).status).toBe(403);
    expect((await createExport(body, world.actors.foreignAdmin.token)).status).toBe(404);
    expect((await createExport(body, await test.operatorToken())).status).toBe(404);
    const documents = await storedDocuments();
    const foreignSubject = await createExport({ ...body, subjectId: world.students.foreign });
    expect(foreignSubject.status).toBe(404);
    expect(foreignSubject.text).not.toContain('Frida');
    expect(await storedDocuments()).toBe(documents);
  });

  it('the file is only for the data admin of the municipality', async () => {
    const created = await createExport({ subjectType: 'student', subjectId: world.students.sameSchool, format: 'json', recipient: 'controller' });
    const path = created.body.download as string;
    expect((await download(path, world.actors.groupTeacher.token)).status).toBe(403);
    const foreign = await download(path, world.actors.foreignAdmin.token);
    expect(foreign.status).toBe(404);
    expect(foreign.text).not.toContain('Ørjan');
    expect((await download(path, await test.operatorToken())).status).toBe(404);
    const anonymous = await fetch(`${test.url}${path.replace(/^\/api/, '')}`);
    expect(anonymous.status).toBe(401);
  });

  it('unknown fields and bad values are refused before anything is written', async () => {
    for (const body of [
      { subjectType: 'student', subjectId: world.students.inGroup, format: 'xml', recipient: 'controller' },
      { subjectType: 'student', subjectId: world.students.inGroup, format: 'json', recipient: 'controller', includeHealth: true },
      { subjectType: 'group', subjectId: world.group, format: 'json', recipient: 'controller' },
    ]) {
      const documents = await storedDocuments();
      const response = await createExport(body);
      expect(response.status).toBe(400);
      expect(await storedDocuments()).toBe(documents);
    }
  });
});

describe('expiry after 7 days (job export-expiry)', () => {
  it('an export is expired at 7 days, the job deletes its file, and running it again changes nothing', async () => {
    const created = await createExport({ subjectType: 'student', subjectId: world.students.otherSchool, format: 'csv', recipient: 'controller' });
    const blobName = `${world.home}/${created.body.id}.csv`;
    expect(await storedExportBlobs()).toContain(blobName);
    clock.advance(7 * DAY - 60_000);
    expect((await test.request('GET', `${exportsPath()}/${created.body.id}`, { token: admin })).body.status).toBe('ready');
    clock.advance(60_000);
    const expired = await test.request('GET', `${exportsPath()}/${created.body.id}`, { token: admin });
    expect(expired.body).toMatchObject({ status: 'expired', download: null });
    const gone = await download(created.body.download);
    expect(gone.status).toBe(410);
    expect(gone.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    const operator = await test.operatorToken();
    const run = await test.request('POST', '/operations/jobs/export-expiry/runs', { token: operator, body: {} });
    expect(run.status, run.text).toBe(202);
    const finished = await waitForRun('export-expiry', run.body.id);
    expect(finished).toMatchObject({ status: 'completed', failures: 0, overdue: 0, remaining: 0 });
    expect(finished.processed).toBeGreaterThanOrEqual(1);
    expect(await storedExportBlobs()).not.toContain(blobName);
    expect((await test.request('GET', `${exportsPath()}/${created.body.id}`, { token: admin })).body.status).toBe('expired');

    const again = await test.request('POST', '/operations/jobs/export-expiry/runs', { token: operator, body: {} });
    expect(await waitForRun('export-expiry', again.body.id)).toMatchObject({ status: 'completed', processed: 0, records: 0 });
  });
});

describe('erasure removes the exports of the erased person', () => {
  it('the file and the export record are gone once the student is erased', async () => {
    const created = await createExport({ subjectType: 'student', subjectId: world.students.sameSchool, format: 'json', recipient: 'controller' });
    expect(await storedExportBlobs()).toContain(`${world.home}/${created.body.id}.json`);
    const erasure = await test.request('DELETE', `/municipalities/${world.home}/students/${world.students.sameSchool}?instructionReference=SAK-2026/88`, { token: admin });
    expect(erasure.status).toBe(202);
    await erasuresSettled(test);
    expect((await test.request('GET', `/municipalities/${world.home}/erasures/${erasure.body.id}`, { token: admin })).body.status).toBe('completed');
    expect((await test.request('GET', `${exportsPath()}/${created.body.id}`, { token: admin })).status).toBe(404);
    expect(await storedExportBlobs()).not.toContain(`${world.home}/${created.body.id}.json`);
  });
});
