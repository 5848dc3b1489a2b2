import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredLeaverReport } from '../../lib/reports/leaver-report-model.js';
import type { LeaverReportContent } from '../../lib/reports/report-content.js';
import { buildSchoolWorld, type SchoolWorld } from '../support/school-world.js';
import { cosmosOperations, startTestApp, type TestApp } from '../support/test-app.js';
import { blobNames, createLeavers, download, generate, indexEntries, LEAVER_RECORDS, pdfText, type Leaver } from './report-fixtures.js';

let test: TestApp;
let world: SchoolWorld;
let base: string;
let leavers: Leaver[];
let otherSchoolLeaver: Leaver;
let reports: { id: string; studentId: string; expiresAt: string; createdAt: string }[];

beforeAll(async () => {
  test = await startTestApp();
  world = await buildSchoolWorld(test);
  base = `/municipalities/${world.home}`;
  leavers = await createLeavers(test, world, world.schools.own, [['Åse Máret', 'Ærø-Čáhppes'], ['Øystein', 'Ødegård']]);
  [otherSchoolLeaver] = (await createLeavers(test, world, world.schools.other, [['Åsmund', 'Sagbråten']])) as [Leaver];
}, 180_000);
afterAll(() => test.close());

describe('generating leaver reports (P4)', () => {
  it('a school admin generates a report per leaver of the school; the run is followed to completion', async () => {
    const run = await generate(test, world.home, world.actors.schoolAdmin.token, { schoolId: world.schools.own, schoolYear: '2030-2031' });
    // Active students of the school (the world's) are not leavers: only the two leavers get a report.
    expect(run).toMatchObject({ status: 'completed', schoolId: world.schools.own, requested: 2, generated: 2, skipped: 0, failed: 0 });
    const list = await test.request('GET', `${base}/leaver-reports?schoolId=${world.schools.own}&schoolYear=2030-2031`, { token: world.actors.schoolAdmin.token });
    expect(list.status).toBe(200);
    reports = list.body.items;
    expect(reports.map((report) => report.studentId).sort()).toEqual(leavers.map((leaver) => leaver.id).sort());
    expect(cosmosOperations(list)).toMatchObject({ 'partition-query': 1, 'cross-partition-query': 0 });
  });

  it('stores both documents under the municipality prefix and indexes them with createdAt and expiresAt = createdAt + 12 months', async () => {
    const names = await blobNames(test, `${world.home}/`);
    const entries = await indexEntries(test, world.home);
    for (const report of reports) {
      const day = report.createdAt.slice(0, 10);
      const { version } = entries.find((entry) => entry.id === report.id) as StoredLeaverReport;
      expect(names).toEqual(expect.arrayContaining([`${world.home}/${day}/${version}.pdf`, `${world.home}/${day}/${version}.json`]));
      const created = new Date(report.createdAt);
      expect(report.expiresAt).toBe(new Date(Date.UTC(created.getUTCFullYear() + 1, created.getUTCMonth(), created.getUTCDate())).toISOString());
    }
    expect(entries.every((entry) => entry.state === 'ready' && entry.bytes !== null)).toBe(true);
    // The index holds ids and dates only: names and results live in the blobs.
    expect(JSON.stringify(entries)).not.toMatch(/Åse|Ødegård|NOR0214/);
  });

  it('the PDF is an A4 document that parses and shows the student and every grade, with æøå right', async () => {
    const leaver = leavers[0] as Leaver;
    const report = reports.find((candidate) => candidate.studentId === leaver.id);
    const pdf = await download(test, `${base}/leaver-reports/${report?.id}/document`, world.actors.schoolAdmin.token);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toBe(`attachment; filename="avgangsrapport-${report?.id}.pdf"`);
    expect(Buffer.from(pdf.bytes.subarray(0, 5)).toString()).toBe('%PDF-');
    expect(Buffer.from(pdf.bytes).toString('latin1')).toMatch(/\/MediaBox \[0 0 595\.28 841\.89\]/);
    const text = await pdfText(pdf.bytes);
    for (const expected of ['Sluttrapport for avgangselev', 'Elevopplysninger', 'Karakterer', 'Kartlegginger', 'Vurderinger', 'Fødselsdato', 'Skoleår',
      'Kommune 0301', 'Bjølsen skole', 'Organisasjonsnummer: Ikke registrert', 'Åse Máret Ærø-Čáhppes',
      'Særdeles god muntlig framføring; skriver nøyaktig og åpent om tekstene.', 'Standpunkt', 'Eksamen', 'Vår', 'Høst', '38 av 40', 'Sted og dato', 'Underskrift']) {
      expect(text, expected).toContain(expected);
    }
    // Subject names beside the catalogue's codes; a code it does not know stays the code.
    const names: Record<string, string> = { NOR0214: 'NOR0214 Norsk hovedmål, skriftlig', MAT0010: 'MAT0010 Matematikk', 'KRØ1019': 'KRØ1019' };
    for (const grade of LEAVER_RECORDS.grades) expect(text).toMatch(new RegExp(`${names[grade.subjectCode]}\\s+${grade.grade}\\s`));
    // A paper that outlives its stored copy carries no storage dates, and names the school year once.
    expect(text).not.toMatch(/slettes|Slettes/);
    expect(text.match(/Skoleår/g)).toHaveLength(1);
  });

  it('the JSON matches the records as the records API returns them', async () => {
    const leaver = leavers[1] as Leaver;
    const report = reports.find((candidate) => candidate.studentId === leaver.id);
    const json = await download(test, `${base}/leaver-reports/${report?.id}/document?format=json`, world.actors.municipalityAdmin.token);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const content = JSON.parse(Buffer.from(json.bytes).toString('utf8')) as LeaverReportContent;
    expect(content).toMatchObject({
      format: 'engage.leaver-report/2', reportId: report?.id, schoolYear: '2030-2031',
      municipality: { id: world.home, name: 'Kommune 0301' }, school: { id: world.schools.own, name: 'Bjølsen skole' },
    });
    expect(content.subjects).toEqual({ NOR0214: 'Norsk hovedmål, skriftlig', MAT0010: 'Matematikk' });
    expect(content).not.toHaveProperty('expiresAt');
    expect(content.student).toMatchObject({ id: leaver.id, givenName: 'Øystein', familyName: 'Ødegård', status: 'leaver', leftAt: '2031-06-20' });
    const byId = (items: { id: string }[]) => [...items].sort((a, b) => a.id.localeCompare(b.id));
    for (const kind of ['grades', 'assessments', 'evaluations'] as const) {
      const api = await test.request('GET', `${base}/students/${leaver.id}/${kind}?limit=100`, { token: world.actors.municipalityAdmin.token });
      expect(api.status).toBe(200);
      expect(byId(content[kind]), kind).toEqual(byId(api.body.items));
      expect(content[kind]).toHaveLength(LEAVER_RECORDS[kind].length);
    }
  });

  it('names only leavers of the school: an active student is 400, a student the caller cannot see is 404, nothing is started', async () => {
    const run = (body: Record<string, unknown>, token = world.actors.schoolAdmin.token) => test.request('POST', `${base}/leaver-reports`, { token, body });
    const active = await run({ schoolId: world.schools.own, schoolYear: '2030-2031', studentIds: [world.students.sameSchool] });
    expect(active.status).toBe(400);
    expect(active.body.errors).toEqual([{ field: 'body/studentIds/0', message: 'is not a leaver at this school' }]);
    expect((await run({ schoolId: world.schools.own, schoolYear: '2030-2031', studentIds: [otherSchoolLeaver.id] })).status).toBe(404);
    expect((await run({ schoolId: world.schools.own, schoolYear: '2030-2031', studentIds: [world.students.foreign] })).status).toBe(404);
    expect((await run({ schoolId: world.schools.other, schoolYear: '2030-2031' })).status).toBe(400);
    expect((await run({ schoolId: world.schools.own, schoolYear: '2030-2032' })).status).toBe(400);
    expect((await run({ schoolId: world.schools.own, schoolYear: '2030-2031', extra: true })).status).toBe(400);
    const listed = await test.request('GET', `${base}/leaver-reports?limit=100`, { token: world.actors.dataAdmin.token });
    expect(listed.body.items).toHaveLength(2);
  });

  it('named leavers: the municipality admin generates one report for a leaver at the other school', async () => {
    const run = await generate(test, world.home, world.actors.municipalityAdmin.token, { schoolId: world.schools.other, schoolYear: '2030-2031', studentIds: [otherSchoolLeaver.id] });
    expect(run).toMatchObject({ status: 'completed', requested: 1, generated: 1 });
  });
});

describe('reading reports: the student’s visibility applies, everyone else gets 404', () => {
  it('the other school’s admin, a foreign admin and an unknown id get 404; teachers are refused', async () => {
    const report = reports[0] as { id: string };
    for (const path of [`${base}/leaver-reports/${report.id}`, `${base}/leaver-reports/${report.id}/document`, `${base}/leaver-reports/${report.id}/document?format=json`]) {
      expect((await test.request('GET', path, { token: world.actors.otherSchoolAdmin.token })).status, path).toBe(404);
      expect((await test.request('GET', path.replace(world.home, world.foreign), { token: world.actors.foreignAdmin.token })).status, path).toBe(404);
      expect((await test.request('GET', path, { token: world.actors.foreignAdmin.token })).status, path).toBe(404);
      expect((await test.request('GET', path, { token: world.actors.groupTeacher.token })).status, path).toBe(403);
      expect((await test.request('GET', path, { token: world.actors.dataAdmin.token })).status, path).toBe(200);
    }
    const unknown = await test.request('GET', `${base}/leaver-reports/00000000-0000-4000-8000-000000000000`, { token: world.actors.dataAdmin.token });
    expect(unknown.status).toBe(404);
  });

  it('lists show each admin the reports of the schools they may see', async () => {
    const list = async (token: string) => (await test.request('GET', `${base}/leaver-reports?limit=100`, { token })).body.items.map((item: { studentId: string }) => item.studentId).sort();
    expect(await list(world.actors.schoolAdmin.token)).toEqual(leavers.map((leaver) => leaver.id).sort());
    expect(await list(world.actors.otherSchoolAdmin.token)).toEqual([otherSchoolLeaver.id]);
    expect(await list(world.actors.dataAdmin.token)).toHaveLength(3);
    const foreign = await test.request('GET', `/municipalities/${world.foreign}/leaver-reports`, { token: world.actors.foreignAdmin.token });
    expect(foreign.body.items).toEqual([]);
  });

  it('the run is visible to those who may see its school only', async () => {
    const runs = await test.request('GET', `${base}/leaver-reports?limit=1`, { token: world.actors.schoolAdmin.token });
    const runId = runs.body.items[0].runId as string;
    expect((await test.request('GET', `${base}/leaver-report-runs/${runId}`, { token: world.actors.otherSchoolAdmin.token })).status).toBe(404);
    expect((await test.request('GET', `/municipalities/${world.foreign}/leaver-report-runs/${runId}`, { token: world.actors.foreignAdmin.token })).status).toBe(404);
  });

  it('every read, download and generation is audited with ids only', async () => {
    const report = reports[0] as { id: string; studentId: string };
    const audit = await test.request('GET', `${base}/audit?targetId=${report.id}&limit=100`, { token: world.actors.dataAdmin.token });
    expect(audit.status).toBe(200);
    const kinds = audit.body.items.map((entry: { action: string; resourceType: string }) => `${entry.action}:${entry.resourceType}`);
    expect(kinds).toEqual(expect.arrayContaining(['read:leaver-report', 'read:leaver-report-document', 'list:leaver-report']));
    expect(JSON.stringify(audit.body)).not.toMatch(/Åse|Ødegård/);
    const created = await test.request('GET', `${base}/audit?targetId=${otherSchoolLeaver.id}&limit=100`, { token: world.actors.dataAdmin.token });
    expect(created.body.items.map((entry: { action: string; resourceType: string }) => `${entry.action}:${entry.resourceType}`)).toContain('create:leaver-report-run');
  });
});
