import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LEAVER_REPORT_EXPIRY_JOB } from '../../lib/reports/leaver-report-expiry.js';
import { LeaverReportGenerator } from '../../lib/reports/leaver-report-generator.js';
import { DEFAULT_LEAVER_YEAR_LEVELS } from '../../lib/directory/settings.js';
import {
  LEAVER_REPORT_BLOB_CONTAINER,
  reportIdOf,
  versionIdOf,
  type ReportVersion,
  type StoredGenerationRun,
} from '../../lib/reports/leaver-report-model.js';
import type { LeaverReportContent } from '../../lib/reports/report-content.js';
import { ReportBlobs } from '../../lib/reports/report-blobs.js';
import { ReportIndex } from '../../lib/reports/report-index.js';
import { ReportVersions } from '../../lib/reports/report-versions.js';
import { ContinuationSealer } from '../../lib/paging/continuation-sealer.js';
import { buildSchoolWorld, type SchoolWorld } from '../support/school-world.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { capturingLogger, waitForRun } from '../usage/usage-fixtures.js';
import { blobNames, createLeavers, download, generate, indexEntries, type Leaver } from './report-fixtures.js';

let test: TestApp;
const digestKey = () => test.app.services.config.privacyDigestKey;
let world: SchoolWorld;
let base: string;
let index: ReportIndex;
let blobs: ReportBlobs;

beforeAll(async () => {
  // The expiry job logs its completion; this file checks blobs and entries instead.
  test = await startTestApp({ composition: { logger: capturingLogger().logger } });
  world = await buildSchoolWorld(test);
  base = `/municipalities/${world.home}`;
  const { services } = test.app;
  index = new ReportIndex(services.cosmos.containers.reports, ContinuationSealer.fromSecret(services.config.privacyDigestKey));
  blobs = new ReportBlobs(services.blob.getContainerClient(LEAVER_REPORT_BLOB_CONTAINER));
}, 180_000);
afterAll(() => test.close());

const request = (leaver: Leaver) => ({ schoolId: world.schools.own, schoolYear: '2030-2031', studentIds: [leaver.id] });
const admin = () => world.actors.schoolAdmin.token;
const entryOf = async (leaver: Leaver) => (await indexEntries(test, world.home)).filter((entry) => entry.studentId === leaver.id);
const blobsOfVersion = async (version: string) => (await blobNames(test, `${world.home}/`)).filter((name) => name.includes(version));

async function jsonOf(reportId: string): Promise<{ status: number; content?: LeaverReportContent }> {
  const answer = await download(test, `${base}/leaver-reports/${reportId}/document?format=json`, admin());
  return answer.status === 200 ? { status: 200, content: JSON.parse(Buffer.from(answer.bytes).toString('utf8')) as LeaverReportContent } : { status: answer.status };
}

describe('one report per student and school year: a new request replaces the old one', () => {
  it('asking twice leaves one report (same id), made by the second run; the first version’s blobs are gone and the first run still counts what it made', async () => {
    const [leaver] = (await createLeavers(test, world, world.schools.own, [['Gjentatt', 'Forespørsel']])) as [Leaver];
    const first = await generate(test, world.home, admin(), request(leaver));
    const [before] = await entryOf(leaver);
    const second = await generate(test, world.home, admin(), request(leaver));
    expect(second).toMatchObject({ status: 'completed', generated: 1, skipped: 0, failed: 0 });

    const entries = await entryOf(leaver);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ id: before?.id, runId: second.id, state: 'ready', pending: null, version: versionIdOf(digestKey(), second.id, leaver.id) });
    expect(entries[0]?.id).toBe(reportIdOf(digestKey(), leaver.id, '2030-2031'));
    expect(await blobsOfVersion(before?.version as string)).toEqual([]);
    expect(await blobsOfVersion(entries[0]?.version as string)).toHaveLength(2);

    const listed = await test.request('GET', `${base}/leaver-reports?schoolYear=2030-2031&limit=100`, { token: admin() });
    expect(listed.body.items.filter((report: { studentId: string }) => report.studentId === leaver.id)).toEqual([expect.objectContaining({ id: before?.id, runId: second.id })]);
    const document = await jsonOf(before?.id as string);
    expect(document.content?.createdAt).toBe(second.createdAt);
    const firstRun = await test.request('GET', `${base}/leaver-report-runs/${first.id}`, { token: admin() });
    expect(firstRun.body).toMatchObject({ status: 'completed', generated: 1 });
  });

  it('a reader who read the entry just before the report was replaced still gets a complete document (the new one), not a 404', async () => {
    const [leaver] = (await createLeavers(test, world, world.schools.own, [['Samtidig', 'Leser']])) as [Leaver];
    await generate(test, world.home, admin(), request(leaver));
    const reportId = reportIdOf(digestKey(), leaver.id, '2030-2031');
    let second: { id: string; createdAt: string } | undefined;
    const original = ReportBlobs.prototype.download;
    // Between the reader's read of the entry and its read of the blob, a second request replaces the report (injected on purpose).
    const spy = vi.spyOn(ReportBlobs.prototype, 'download').mockImplementation(async function (this: ReportBlobs, name: string) {
      second ??= await generate(test, world.home, admin(), request(leaver));
      return original.call(this, name);
    });
    try {
      const document = await jsonOf(reportId);
      expect(document.status).toBe(200);
      expect(document.content?.createdAt).toBe(second?.createdAt);
    } finally {
      spy.mockRestore();
    }
  });

  it('a crash after the new blobs are written and before the switch (injected on purpose): readers keep the old complete report; the repair removes the orphans; the next request replaces it', async () => {
    const [leaver] = (await createLeavers(test, world, world.schools.own, [['Krasj', 'Mellom']])) as [Leaver];
    const first = await generate(test, world.home, admin(), request(leaver));
    const reportId = reportIdOf(digestKey(), leaver.id, '2030-2031');

    class CrashingVersions extends ReportVersions {
      override publish(): never {
        throw new Error('injected crash after the blobs were written');
      }
    }
    const { services } = test.app;
    const generator = new LeaverReportGenerator({
      index,
      versions: new CrashingVersions(index, () => new Date()),
      blobs,
      students: services.students,
      schools: services.schools,
      municipalities: services.municipalities,
      records: services.cosmos.containers.records,
      clock: services.clock,
      digestKey: services.config.privacyDigestKey,
    });
    const now = new Date().toISOString();
    const run: StoredGenerationRun = {
      id: randomUUID(), type: 'leaver-report-run', municipalityId: world.home, schoolId: world.schools.own, schoolYear: '2030-2031', requestedBy: null,
      selection: 'listed', studentIds: [leaver.id], retentionMonths: 12, leaverYearLevels: DEFAULT_LEAVER_YEAR_LEVELS, status: 'running', requested: 1,
      generated: null, skipped: 0, failed: 0, warnings: [], createdAt: now, updatedAt: now, finishedAt: null,
    };
    await index.createRun(run);
    await expect(generator.batch({ runId: run.id, municipalityId: world.home, batch: 0 })).rejects.toThrow('injected crash');

    const crashed = versionIdOf(digestKey(), run.id, leaver.id);
    expect(await blobsOfVersion(crashed)).toHaveLength(2);
    const [entry] = await entryOf(leaver);
    expect(entry).toMatchObject({ runId: first.id, state: 'ready', pending: { version: crashed } });
    const meta = await test.request('GET', `${base}/leaver-reports/${reportId}`, { token: admin() });
    expect(meta.body).toMatchObject({ runId: first.id, createdAt: first.createdAt });
    expect((await jsonOf(reportId)).content?.createdAt).toBe(first.createdAt);

    // Once the creation day is closed, the repair pass removes blobs no entry's current version names.
    const operator = await test.operatorToken();
    const asOf = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const started = await test.request<{ id: string }>('POST', `/operations/jobs/${LEAVER_REPORT_EXPIRY_JOB}/runs`, { token: operator, body: { asOf } });
    expect(started.status, started.text).toBe(202);
    expect(await waitForRun(test, LEAVER_REPORT_EXPIRY_JOB, started.body.id)).toMatchObject({ status: 'completed', failures: 0 });
    expect(await blobsOfVersion(crashed)).toEqual([]);
    expect(await blobsOfVersion(entry?.version as string)).toHaveLength(2);
    expect((await jsonOf(reportId)).status).toBe(200);

    const next = await generate(test, world.home, admin(), request(leaver));
    expect(next).toMatchObject({ status: 'completed', generated: 1 });
    expect(await entryOf(leaver)).toEqual([expect.objectContaining({ runId: next.id, pending: null })]);
    expect(await blobsOfVersion(entry?.version as string)).toEqual([]);
  });
});

describe('entries stored before reports had versions', () => {
  it('name their blobs by the report id: they are still served, and the expiry job removes blobs and entry', async () => {
    const [leaver] = (await createLeavers(test, world, world.schools.own, [['Gammel', 'Oppføring']])) as [Leaver];
    const createdAt = new Date().toISOString();
    const legacy = {
      id: randomUUID(), type: 'leaver-report', municipalityId: world.home, studentId: leaver.id, schoolId: world.schools.own, schoolYear: '2030-2031',
      runId: randomUUID(), state: 'ready', createdAt, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), bytes: { pdf: 5, json: 2 },
    };
    await test.app.services.cosmos.containers.reports.items.create(legacy);
    for (const [format, body] of [['pdf', '%PDF-'], ['json', '{}']] as const) {
      await blobs.upload(`${world.home}/${createdAt.slice(0, 10)}/${legacy.id}.${format}`, Buffer.from(body), 'application/octet-stream', { runid: legacy.runId });
    }
    expect((await jsonOf(legacy.id)).status).toBe(200);

    const operator = await test.operatorToken();
    const started = await test.request<{ id: string }>('POST', `/operations/jobs/${LEAVER_REPORT_EXPIRY_JOB}/runs`, { token: operator, body: { asOf: createdAt } });
    expect(started.status, started.text).toBe(202);
    expect(await waitForRun(test, LEAVER_REPORT_EXPIRY_JOB, started.body.id)).toMatchObject({ status: 'completed', failures: 0 });
    expect(await blobsOfVersion(legacy.id)).toEqual([]);
    expect((await indexEntries(test, world.home)).filter((entry) => entry.id === legacy.id)).toEqual([]);
  });
});

describe('overlapping requests for the same student and year: the later one wins', () => {
  const version = (name: string, createdAt: string): ReportVersion => ({ version: name, runId: randomUUID(), schoolId: world.schools.own, createdAt, expiresAt: '2099-01-01T00:00:00.000Z' });
  const entry = (studentId: string) => ({ id: reportIdOf(digestKey(), studentId, '2030-2031'), municipalityId: world.home, studentId, schoolYear: '2030-2031' });

  it('first versions: the later claim takes the entry over, the earlier one finds itself superseded when it publishes', async () => {
    const versions = new ReportVersions(index, () => new Date());
    const studentId = randomUUID();
    const early = version(randomUUID(), new Date(Date.now() - 1000).toISOString());
    const late = version(randomUUID(), new Date().toISOString());
    expect(await versions.claim(entry(studentId), early)).toBe('write');
    expect(await versions.claim(entry(studentId), late)).toBe('write');
    expect(await versions.publish(world.home, entry(studentId).id, early.version, { pdf: 1, json: 1 })).toBe('superseded');
    expect(await versions.publish(world.home, entry(studentId).id, late.version, { pdf: 1, json: 1 })).toEqual({ replaced: null });
    // A retry of the earlier request, after the later one was published, does not bring it back.
    expect(await versions.claim(entry(studentId), early)).toBe('superseded');
    expect(await versions.claim(entry(studentId), late)).toBe('published');
  });

  it('replacing a published report: the pending version switches in with the old one named for deletion; a version of a closed day is not published', async () => {
    const versions = new ReportVersions(index, () => new Date());
    const studentId = randomUUID();
    const old = version(randomUUID(), new Date(Date.now() - 2000).toISOString());
    const fresh = version(randomUUID(), new Date().toISOString());
    await versions.claim(entry(studentId), old);
    await versions.publish(world.home, entry(studentId).id, old.version, { pdf: 1, json: 1 });
    expect(await versions.claim(entry(studentId), fresh)).toBe('write');
    expect((await index.find(world.home, entry(studentId).id))?.version).toBe(old.version);
    const published = await versions.publish(world.home, entry(studentId).id, fresh.version, { pdf: 2, json: 2 });
    expect(published).toEqual({ replaced: expect.objectContaining({ version: old.version, createdAt: old.createdAt }) });
    expect(await index.find(world.home, entry(studentId).id)).toMatchObject({ version: fresh.version, createdAt: fresh.createdAt, bytes: { pdf: 2, json: 2 }, pending: null });

    const later = new ReportVersions(index, () => new Date(Date.now() + 3 * 86_400_000));
    const stale = version(randomUUID(), new Date(Date.now() + 1000).toISOString());
    expect(await later.claim(entry(studentId), stale)).toBe('write');
    expect(await later.publish(world.home, entry(studentId).id, stale.version, { pdf: 3, json: 3 })).toBe('superseded');
    expect((await index.find(world.home, entry(studentId).id))?.version).toBe(fresh.version);
  });
});
