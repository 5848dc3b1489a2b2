import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erasuresSettled } from '../support/erasures.js';
import { JobRunStore } from '../../lib/jobs/job-runs.js';
import { JobService } from '../../lib/jobs/job-service.js';
import { telemetryJobSignals } from '../../lib/jobs/job-signals.js';
import { createLocalDurableDriver } from '../../lib/jobs/local-durable/index.js';
import { LocalJobScheduler } from '../../lib/jobs/local-job-scheduler.js';
import { asDurableClientFunction } from '../../local/invocation.js';
import { createLogger } from '../../lib/logger.js';
import { ContinuationSealer } from '../../lib/paging/continuation-sealer.js';
import { LEAVER_REPORT_EXPIRY_JOB, LeaverReportExpiry } from '../../lib/reports/leaver-report-expiry.js';
import { leaverReportActivities, leaverReportOrchestrators } from '../../lib/reports/leaver-report-jobs.js';
import { blobNameOf, LEAVER_REPORT_BLOB_CONTAINER, type LeaverReportView } from '../../lib/reports/leaver-report-model.js';
import { ReportBlobs } from '../../lib/reports/report-blobs.js';
import { ReportIndex } from '../../lib/reports/report-index.js';
import { loggerTelemetry } from '../../lib/telemetry/telemetry.js';
import { findAnywhere } from '../support/data-scan.js';
import { buildSchoolWorld, type SchoolWorld } from '../support/school-world.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { capturingLogger, ManualClock, waitForRun } from '../usage/usage-fixtures.js';
import { blobNames, createLeavers, generate, indexEntries, type Leaver } from './report-fixtures.js';

const JOB = LEAVER_REPORT_EXPIRY_JOB;
const clock = new ManualClock('2031-08-20T10:00:00.000Z');
const captured = capturingLogger();
let test: TestApp;
let world: SchoolWorld;
let base: string;
let operator: string;

beforeAll(async () => {
  test = await startTestApp({ clock, composition: { logger: captured.logger } });
  world = await buildSchoolWorld(test);
  base = `/municipalities/${world.home}`;
  operator = await test.operatorToken();
}, 180_000);
afterAll(() => test.close());

/** A report as listed, with the version its blobs are named by (from the index). */
type Report = LeaverReportView & { version: string };

async function reportsOf(leavers: Leaver[], at: string): Promise<Report[]> {
  clock.set(at);
  await generate(test, world.home, world.actors.schoolAdmin.token, { schoolId: world.schools.own, schoolYear: '2030-2031', studentIds: leavers.map((leaver) => leaver.id) });
  const list = await test.request('GET', `${base}/leaver-reports?limit=100`, { token: world.actors.dataAdmin.token });
  const ids = new Set(leavers.map((leaver) => leaver.id));
  const versions = new Map((await indexEntries(test, world.home)).map((entry) => [entry.id, entry.version]));
  return list.body.items.filter((report: LeaverReportView) => ids.has(report.studentId)).map((report: LeaverReportView) => ({ ...report, version: versions.get(report.id) as string }));
}

async function runJob(body: Record<string, unknown>) {
  const started = await test.request<{ id: string }>('POST', `/operations/jobs/${JOB}/runs`, { token: operator, body });
  expect(started.status, started.text).toBe(202);
  return waitForRun(test, JOB, started.body.id);
}

const status = async (report: Report) => (await test.request('GET', `${base}/leaver-reports/${report.id}`, { token: world.actors.dataAdmin.token })).status;
const blobsOf = async (report: Report) => (await blobNames(test, `${world.home}/`)).filter((name) => name.includes(report.version));

async function setRetention(months: number): Promise<void> {
  const current = await test.request('GET', `${base}/settings`, { token: world.actors.dataAdmin.token });
  const changed = await test.request('PATCH', `${base}/settings`, {
    token: world.actors.dataAdmin.token,
    body: { leaverReportRetentionMonths: months },
    headers: { 'if-match': current.headers.get('etag') as string },
  });
  expect(changed.status, changed.text).toBe(200);
}

describe('leaver-report-expiry on a simulated clock (P4)', () => {
  let first: Report[];

  it('a report created on 20 Aug 2031 under 12 months is due by 20 Aug 2032; it answers 404 from that moment on, before any job', async () => {
    first = await reportsOf(await createLeavers(test, world, world.schools.own, [['Åse', 'Fjære'], ['Ørnulf', 'Bø']]), '2031-08-20T10:00:00.000Z');
    expect(first).toHaveLength(2);
    expect(first.map((report) => report.expiresAt)).toEqual(['2032-08-20T00:00:00.000Z', '2032-08-20T00:00:00.000Z']);
    clock.set('2032-08-19T23:59:59.999Z');
    expect(await status(first[0] as Report)).toBe(200);
    clock.set('2032-08-20T00:00:00.000Z');
    expect(await status(first[0] as Report)).toBe(404);
    expect((await test.request('GET', `${base}/leaver-reports?limit=100`, { token: world.actors.dataAdmin.token })).text).not.toContain(first[0]?.id);
    expect(await blobsOf(first[0] as Report)).toHaveLength(2);
  });

  it('the job removes a report three days before its deadline, not a moment earlier (both sides of the boundary), blobs and index', async () => {
    clock.set('2032-08-16T12:00:00.000Z');
    const before = await runJob({ asOf: '2032-08-16T23:59:59.999Z' });
    expect(before).toMatchObject({ status: 'completed', processed: 0, remaining: 0, failures: 0 });
    expect(await status(first[0] as Report)).toBe(200);

    const dry = await runJob({ asOf: '2032-08-17T00:00:00.000Z', dryRun: true });
    expect(dry).toMatchObject({ status: 'completed', dryRun: true, processed: 0, remaining: 2 });
    expect(await status(first[0] as Report)).toBe(200);

    const due = await runJob({ asOf: '2032-08-17T00:00:00.000Z' });
    expect(due).toMatchObject({ status: 'completed', processed: 2, remaining: 0, records: 6, failures: 0, overdue: 0 });
    for (const report of first) {
      expect(await status(report)).toBe(404);
      expect(await test.request('GET', `${base}/leaver-reports/${report.id}/document`, { token: world.actors.dataAdmin.token }).then((r) => r.status)).toBe(404);
      expect(await blobsOf(report)).toEqual([]);
    }
    expect((await indexEntries(test, world.home)).filter((entry) => first.some((report) => report.id === entry.id))).toEqual([]);
    expect(captured.lines.filter((line) => line.event === 'RetentionJobCompleted' && line.jobName === JOB).at(-1)).toMatchObject({ processed: 2, failures: 0 });

    const again = await runJob({ asOf: '2032-08-17T00:00:00.000Z' });
    expect(again).toMatchObject({ status: 'completed', processed: 0, records: 0 });
  });

  it('lowering the retention applies to existing reports at once; the job then removes them, and not the younger ones', async () => {
    const [old, young] = [await reportsOf(await createLeavers(test, world, world.schools.own, [['Åsa', 'Lie']]), '2032-09-01T10:00:00.000Z'),
      await reportsOf(await createLeavers(test, world, world.schools.own, [['Bård', 'Næss']]), '2032-12-10T10:00:00.000Z')];
    clock.set('2032-12-15T08:00:00.000Z');
    expect(await status(old?.[0] as Report)).toBe(200);
    await setRetention(3);
    try {
      expect(await status(old?.[0] as Report)).toBe(404);
      const youngView = await test.request('GET', `${base}/leaver-reports/${young?.[0]?.id}`, { token: world.actors.dataAdmin.token });
      expect(youngView.body.expiresAt).toBe('2033-03-10T00:00:00.000Z');
      const run = await runJob({ asOf: '2032-12-15T08:00:00.000Z' });
      expect(run).toMatchObject({ status: 'completed', processed: 1, failures: 0 });
      expect(await blobsOf(old?.[0] as Report)).toEqual([]);
      expect(await blobsOf(young?.[0] as Report)).toHaveLength(2);
      expect(await status(young?.[0] as Report)).toBe(200);
    } finally {
      await setRetention(12);
    }
  });

  it("erasing a student deletes their reports at once: index entries, both blobs, and nothing of them is left anywhere", async () => {
    const leavers = await createLeavers(test, world, world.schools.own, [['Kanarifugl', 'Rapportsen']]);
    const [report] = await reportsOf(leavers, '2033-01-05T10:00:00.000Z');
    expect(await blobsOf(report as Report)).toHaveLength(2);
    const erased = await test.request('DELETE', `${base}/students/${leavers[0]?.id}?instructionReference=SAK-2033/7`, { token: world.actors.dataAdmin.token });
    expect(erased.status).toBe(202);
    expect(await status(report as Report)).toBe(404);
    await erasuresSettled(test);
    const erasure = await test.request('GET', `${base}/erasures/${erased.body.id}`, { token: world.actors.dataAdmin.token });
    expect(erasure.body).toMatchObject({ status: 'completed', counts: { failed: 0 } });
    expect(await blobsOf(report as Report)).toEqual([]);
    expect((await indexEntries(test, world.home)).filter((entry) => entry.id === report?.id)).toEqual([]);
    expect(await findAnywhere(test.app.services, [leavers[0]?.id as string, 'Kanarifugl', 'Rapportsen'])).toEqual([]);
  });

  it('repair: an index entry without its blob and a blob without its index entry are both removed by the next run; a sound report stays', async () => {
    const leavers = await createLeavers(test, world, world.schools.own, [['Mette', 'Uten-Blob'], ['Nils', 'Uten-Indeks'], ['Olga', 'Hel']]);
    const reports = await reportsOf(leavers, '2033-01-10T10:00:00.000Z');
    const [a, b, c] = leavers.map((leaver) => reports.find((report) => report.studentId === leaver.id)) as [Report, Report, Report];
    const container = test.app.services.blob.getContainerClient(LEAVER_REPORT_BLOB_CONTAINER);
    await container.getBlobClient(blobNameOf({ ...a, municipalityId: world.home }, 'pdf')).delete();
    await test.app.services.cosmos.containers.reports.item(b.id, world.home).delete();
    expect((await test.request('GET', `${base}/leaver-reports/${a.id}/document`, { token: world.actors.dataAdmin.token })).status).toBe(404);
    expect(await status(a)).toBe(200);

    const run = await runJob({ asOf: '2033-01-12T10:00:00.000Z' });
    expect(run).toMatchObject({ status: 'completed', processed: 0, failures: 0 });
    expect(run.records).toBeGreaterThanOrEqual(4);
    expect(await status(a)).toBe(404);
    expect(await blobsOf(a)).toEqual([]);
    expect(await blobsOf(b)).toEqual([]);
    expect(await blobsOf(c)).toHaveLength(2);
    expect(await status(c)).toBe(200);
  });

  it('a crash mid-expiry (fault injected on purpose: blob deletes fail after the third) leaves nothing lost; the next run resumes and finishes', async () => {
    const leavers = await createLeavers(test, world, world.schools.own, [['Pål', 'En'], ['Pia', 'To'], ['Per', 'Tre'], ['Pernille', 'Fire'], ['Petter', 'Fem']]);
    const reports = await reportsOf(leavers, '2033-02-01T10:00:00.000Z');
    expect(reports).toHaveLength(5);
    const asOf = '2034-01-30T00:00:00.000Z';
    clock.set(asOf);
    // Everything left in the municipality is due by then, these five and the survivors of earlier tests.
    const blobsBefore = await blobNames(test, `${world.home}/`);
    const entriesBefore = await indexEntries(test, world.home);

    // A process whose blob deletes start failing after three, as a crash would leave it.
    class CrashingBlobs extends ReportBlobs {
      private deletes = 0;

      override async deleteAll(names: readonly string[]): Promise<number> {
        let done = 0;
        for (const name of names) {
          if (this.deletes >= 3) throw new Error('injected crash');
          this.deletes += 1;
          done += await super.deleteAll([name]);
        }
        return done;
      }
    }
    const { services } = test.app;
    const runs = new JobRunStore(services.cosmos.containers.jobs);
    const expiry = new LeaverReportExpiry({
      index: new ReportIndex(services.cosmos.containers.reports, ContinuationSealer.fromSecret(services.config.privacyDigestKey)),
      blobs: new CrashingBlobs(services.blob.getContainerClient(LEAVER_REPORT_BLOB_CONTAINER)),
      settings: services.settings,
      municipalities: services.municipalities,
      runs,
      clock,
      signals: telemetryJobSignals(loggerTelemetry(createLogger(() => undefined))),
    });
    const driver = createLocalDurableDriver({
      orchestrators: leaverReportOrchestrators,
      activities: leaverReportActivities(async () => ({ generator: services.leaverReports.generator, expiry })),
      now: () => clock.now(),
      verifyReplay: true,
    });
    const crashing = new JobService({
      runs,
      scheduler: new LocalJobScheduler(driver),
      clock,
      mode: 'local',
      definitions: test.app.services.jobs.definitions,
      signals: telemetryJobSignals(loggerTelemetry(createLogger(() => undefined))),
      logger: createLogger(() => undefined),
    });
    const crashedRunId = await asDurableClientFunction(() => crashing.startRun(JOB, { asOf }, 'operator'));
    await driver.waitForCompletion(crashedRunId);
    expect(await asDurableClientFunction(() => crashing.getRun(JOB, crashedRunId))).toMatchObject({ status: 'failed', failures: 1 });
    // Three blobs went; every index entry stayed, so the blobs left are still found through them.
    expect(await blobNames(test, `${world.home}/`)).toHaveLength(blobsBefore.length - 3);
    expect(await indexEntries(test, world.home)).toHaveLength(entriesBefore.length);

    const resumed = await runJob({ asOf });
    expect(resumed).toMatchObject({ status: 'completed', failures: 0, overdue: 0 });
    expect(resumed.processed).toBe(entriesBefore.length);
    expect(await blobNames(test, `${world.home}/`)).toEqual([]);
    expect(await indexEntries(test, world.home)).toEqual([]);
    for (const report of reports) expect(await status(report)).toBe(404);
  });

  it('replays deterministically on the local driver with small activity payloads', () => {
    const driver = (test.app.services.jobs.scheduler as LocalJobScheduler).driver;
    const ours = driver.listInstances().filter((instance) => instance.name.startsWith('leaver-report'));
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.every((instance) => instance.runtimeStatus === 'Completed')).toBe(true);
    expect(Math.max(...ours.flatMap((instance) => [instance.payload.maxActivityInputBytes, instance.payload.maxActivityOutputBytes]))).toBeLessThan(1_024);
  });
});
