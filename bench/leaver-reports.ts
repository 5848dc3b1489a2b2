import { randomUUID } from 'node:crypto';
import { ensureDatabase } from '../lib/data/cosmos.js';
import { ContinuationSealer } from '../lib/paging/continuation-sealer.js';
import { ReportIndex } from '../lib/reports/report-index.js';
import { CountingOperations, emptyCounts, OPERATION_KINDS, type OperationCounts } from '../lib/data/operation-counter.js';
import type { StaffPrincipal } from '../lib/access/scopes.js';
import type { LocalJobScheduler } from '../lib/jobs/local-job-scheduler.js';
import { asDurableClientFunction } from '../local/invocation.js';
import { LEAVER_REPORT_EXPIRY_JOB } from '../lib/reports/leaver-report-expiry.js';
import { blobNameOf, CONTENT_TYPES, LEAVER_REPORT_BLOB_CONTAINER, REPORT_FORMATS, type StoredLeaverReport } from '../lib/reports/leaver-report-model.js';
import { buildReportContent } from '../lib/reports/report-content.js';
import { renderReportPdf } from '../lib/reports/report-pdf.js';
import { deadlineOf, dueIfCreatedBefore } from '../lib/reports/retention.js';
import type { Services } from '../lib/services.js';
import { bulkWrite, created, createOperation, JOB_RETRY_BUDGET_MS } from '../lib/usage/bulk.js';
import { benchConfig, benchCosmos, fmt, startBenchEmulator, startBenchStack } from './bench-stack.js';

const MUNICIPALITY = '0301';
const DAY_MS = 86_400_000;
/**
 * Reports due in the expiry scenario (10x as many unexpired ones are added); the size
 * is 10,000 + 100,000.
 */
const DUE = Number(process.env.BENCH_LEAVER_DUE ?? 10_000);
const UNEXPIRED = DUE * 10;
const LEAVERS = Number(process.env.BENCH_LEAVER_STUDENTS ?? 60);
const RENDERS = 100;
/** Parts to run, comma-separated (`BENCH_LEAVER_PARTS=queries` for the index alone, without Azurite). */
const PARTS = new Set((process.env.BENCH_LEAVER_PARTS ?? 'generation,expiry,queries').split(','));
const QUERY_REPEATS = 5;

/**
 * P4 leaver reports: generation throughput (reports per second through the orchestration,
 * PDF and JSON sizes, PDF rendering alone), and the expiry job with 10x more unexpired
 * reports present than due ones against the same setup without them: the Cosmos DB
 * operations must be the same (the due query reads what is due, nothing else).
 */
export async function run(): Promise<void> {
  if (PARTS.has('generation')) await generationBench();
  if (PARTS.has('expiry')) await expiryBench();
  if (PARTS.has('queries')) await dueQueryCost();
}

async function expiryBench(): Promise<void> {
  const without = await expiryScenario(0);
  const withUnexpired = await expiryScenario(UNEXPIRED);
  console.log('\n## Expiry (`leaver-report-expiry`): due reports with and without 10x more unexpired ones\n');
  console.log(`| scenario | due | unexpired | run (s) | reports/s | ${OPERATION_KINDS.join(' | ')} |`);
  console.log(`|---|---|---|---|---|${OPERATION_KINDS.map(() => '---').join('|')}|`);
  for (const [name, result] of [['without unexpired', without], ['with 10x unexpired', withUnexpired]] as const) {
    console.log(`| ${name} | ${result.due} | ${result.unexpired} | ${fmt(result.seconds)} | ${fmt(result.due / result.seconds, 0)} | ${OPERATION_KINDS.map((kind) => result.counts[kind]).join(' | ')} |`);
  }
  const same = OPERATION_KINDS.filter((kind) => kind !== 'metadata').every((kind) => without.counts[kind] === withUnexpired.counts[kind]);
  console.log(`\nSame Cosmos DB operations (reads, queries, writes) with 10x more unexpired reports: **${same ? 'yes' : 'NO'}**; run time ratio with/without: ${fmt(withUnexpired.seconds / without.seconds, 2)}.`);
  console.log(`Sizes run: ${DUE} due, ${UNEXPIRED} unexpired (BENCH_LEAVER_DUE sets them).`);
  if (!same) process.exitCode = 1;
}

/**
 * The expiry's own queries (one page of 100 due entries, the count of due entries) with
 * DUE due entries and 0 or UNEXPIRED unexpired ones stored, index entries only: what the
 * emulator's query time does as stored entries grow. @vercel/cosmosdb-server evaluates a
 * query by scanning every document of the container; Cosmos DB answers it from its index.
 */
async function dueQueryCost(): Promise<void> {
  const emulator = await startBenchEmulator();
  const rows: string[] = [];
  try {
    for (const unexpired of [0, UNEXPIRED]) {
      const config = benchConfig(emulator.endpoint, `bench-${randomUUID().slice(0, 8)}`);
      const cosmos = benchCosmos(config, new CountingOperations());
      try {
        await ensureDatabase(cosmos);
        const now = Date.now();
        const stored = [...reportsCreated(DUE, now - 395 * DAY_MS, 28), ...reportsCreated(unexpired, now - 330 * DAY_MS, 290)];
        await bulkWrite(cosmos.containers.reports, stored.map((report) => createOperation(report, MUNICIPALITY)), created, JOB_RETRY_BUDGET_MS);
        const index = new ReportIndex(cosmos.containers.reports, ContinuationSealer.fromSecret(config.privacyDigestKey));
        const moment = new Date(now);
        const window = { moment: moment.toISOString(), createdBefore: dueIfCreatedBefore(moment, 12).toISOString() };
        const pageMs: number[] = [];
        const countMs: number[] = [];
        let counted = 0;
        for (let i = 0; i < QUERY_REPEATS; i++) {
          let started = performance.now();
          await index.due(MUNICIPALITY, window, 100);
          pageMs.push(performance.now() - started);
          started = performance.now();
          counted = await index.countDue(MUNICIPALITY, window);
          countMs.push(performance.now() - started);
        }
        if (counted !== DUE) throw new Error(`counted ${counted} due entries of ${DUE}`);
        const [page, count] = [middle(pageMs), middle(countMs)];
        rows.push(`| ${DUE} | ${unexpired} | ${stored.length} | ${fmt(page, 0)} | ${fmt(count, 0)} | ${fmt(page / (stored.length / 1000), 2)} |`);
      } finally {
        await cosmos.database.delete().catch(() => undefined);
      }
    }
    console.log(`\n## The expiry's due query on the emulator, index entries only (median of ${QUERY_REPEATS}); emulator peak RSS ${emulator.peakRssMb()} MB\n`);
    console.log('| due | unexpired | stored entries | page of 100 due (ms) | count of due (ms) | page ms per 1,000 stored |');
    console.log('|---|---|---|---|---|---|');
    for (const row of rows) console.log(row);
  } finally {
    await emulator.stop();
  }
}

const middle = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function generationBench(): Promise<void> {
  const stack = await startBenchStack();
  try {
    const { services } = stack.app;
    const staff = await seedSchool(services);
    const started = performance.now();
    // The scheduler is a durable client binding, available inside a Functions invocation only (as on the host).
    const run = await asDurableClientFunction(() => services.leaverReports.service.requestGeneration(staff.principal, MUNICIPALITY, { schoolId: staff.schoolId, schoolYear: '2030-2031' }));
    const driver = (services.jobs.scheduler as LocalJobScheduler).driver;
    await driver.waitForCompletion(`leaver-report-generation:${run.id}`, 600_000);
    const seconds = (performance.now() - started) / 1000;
    const view = await asDurableClientFunction(() => services.leaverReports.service.getRun(staff.principal, MUNICIPALITY, run.id));
    const page = await services.leaverReports.service.list(staff.principal, MUNICIPALITY, { runId: run.id }, { limit: 100 });
    const pdf = page.items.map((item) => item.formats.pdf.bytes);
    const json = page.items.map((item) => item.formats.json.bytes);
    const average = (values: number[]) => values.reduce((total, value) => total + value, 0) / Math.max(1, values.length);

    const content = JSON.parse((await services.leaverReports.service.document(staff.principal, MUNICIPALITY, page.items[0]?.id ?? '', 'json')).content.toString('utf8'));
    const renderStarted = performance.now();
    for (let i = 0; i < RENDERS; i += 1) await renderReportPdf(content);
    const renderMs = (performance.now() - renderStarted) / RENDERS;

    console.log('\n## Generation (`POST …/leaver-reports`, one orchestration, batches of 10 students)\n');
    console.log('| leavers | generated | run (s) | reports/s | PDF bytes avg (min–max) | JSON bytes avg | PDF render alone (ms/report) |');
    console.log('|---|---|---|---|---|---|---|');
    console.log(`| ${LEAVERS} | ${view.generated} | ${fmt(seconds)} | ${fmt(view.generated / seconds)} | ${fmt(average(pdf), 0)} (${Math.min(...pdf)}–${Math.max(...pdf)}) | ${fmt(average(json), 0)} | ${fmt(renderMs)} |`);
    console.log('\nEach report: 5 grades, 2 screening tests, 2 evaluations; A4 PDF with an embedded DejaVu Sans subset (æøå and Sámi letters).');
  } finally {
    await stack.stop();
  }
}

/** A school with LEAVERS leavers, each with a few records, and a school admin. */
async function seedSchool(services: Services): Promise<{ principal: StaffPrincipal; schoolId: string }> {
  await services.municipalities.register({ id: MUNICIPALITY, name: 'Oslo' });
  await services.settings.initialise(MUNICIPALITY);
  const school = (await services.schools.create(MUNICIPALITY, { name: 'Bjølsen skole' })).value;
  const principal: StaffPrincipal = { kind: 'staff', identity: { issuer: 'bench', subject: 'bench' }, userId: randomUUID(), municipalityId: MUNICIPALITY, roles: ['school-admin'], schoolIds: [school.id], memberships: [MUNICIPALITY] };
  for (let i = 0; i < LEAVERS; i += 1) {
    const student = (await services.students.create(MUNICIPALITY, { givenName: 'Åse', familyName: `Ørjasæter ${i}`, birthDate: '2015-01-01', schoolId: school.id, yearLevel: 10, status: 'leaver', leftAt: '2031-06-20' })).value;
    const author = principal.userId;
    for (const subjectCode of ['NOR1206', 'MAT1019', 'ENG1007', 'KRØ1019', 'NAT1007']) {
      await services.records.create('grade', student, author, { subjectCode, grade: String(1 + (i % 6)), term: 'spring', schoolYear: '2030-2031', kind: 'standpunkt' });
    }
    for (const testCode of ['LES-10', 'REG-10']) {
      await services.records.create('assessment', student, author, { testCode, date: '2030-09-15', score: 30, maxScore: 40, belowThreshold: false });
    }
    for (const subjectCode of ['NOR1206', 'MAT1019']) {
      await services.records.create('evaluation', student, author, { subjectCode, date: '2031-03-01', text: 'Viser god forståelse, særlig i muntlige framføringer. Arbeider nøyaktig og selvstendig.' });
    }
  }
  return { principal, schoolId: school.id };
}

interface ExpiryResult {
  due: number;
  unexpired: number;
  seconds: number;
  counts: OperationCounts;
}

/**
 * A fresh stack per scenario, so both start from the same state (no job cursor, same
 * municipalities). Due reports were made 13 months ago, with both blobs; unexpired ones
 * between 11 months and 40 days ago (outside the repair pass's 31 closed days), index
 * entries only but for one report per creation day with its blobs, so that the day
 * folders the sweep lists exist as they would.
 */
async function expiryScenario(unexpired: number): Promise<ExpiryResult> {
  const stack = await startBenchStack();
  try {
    const { services } = stack.app;
    await services.municipalities.register({ id: MUNICIPALITY, name: 'Oslo' });
    await services.settings.initialise(MUNICIPALITY);
    const now = Date.now();
    const sample = await samplePdf();
    const due = reportsCreated(DUE, now - 395 * DAY_MS, 28);
    const live = reportsCreated(unexpired, now - 330 * DAY_MS, 290);
    let step = performance.now();
    await bulkWrite(services.cosmos.containers.reports, [...due, ...live].map((report) => createOperation(report, MUNICIPALITY)), created, JOB_RETRY_BUDGET_MS);
    console.log(`  ${due.length + live.length} index entries written in ${fmt((performance.now() - step) / 1000)} s`);
    const firstOfDay = new Map(live.map((report) => [report.createdAt.slice(0, 10), report]));
    step = performance.now();
    await uploadBlobs(services, [...due, ...firstOfDay.values()], sample);
    console.log(`  ${(due.length + firstOfDay.size) * REPORT_FORMATS.length} blobs uploaded in ${fmt((performance.now() - step) / 1000)} s`);

    const before = services.operations.snapshot();
    const started = performance.now();
    const runId = await asDurableClientFunction(() => services.jobs.startRun(LEAVER_REPORT_EXPIRY_JOB, {}, 'operator'));
    await (services.jobs.scheduler as LocalJobScheduler).driver.waitForCompletion(runId, 1_800_000);
    const seconds = (performance.now() - started) / 1000;
    const after = services.operations.snapshot();
    const run = await asDurableClientFunction(() => services.jobs.getRun(LEAVER_REPORT_EXPIRY_JOB, runId));
    if (run.status !== 'completed' || run.processed !== DUE) throw new Error(`expiry run ${run.status}, processed ${run.processed} of ${DUE}`);
    const counts = emptyCounts();
    for (const kind of OPERATION_KINDS) counts[kind] = after[kind] - before[kind];
    return { due: DUE, unexpired, seconds, counts };
  } finally {
    await stack.stop();
  }
}

function reportsCreated(count: number, from: number, spreadDays: number): StoredLeaverReport[] {
  return Array.from({ length: count }, (_, i) => {
    const createdAt = new Date(from + Math.floor((i / Math.max(1, count)) * spreadDays * DAY_MS)).toISOString();
    const id = randomUUID();
    return {
      id,
      version: id,
      type: 'leaver-report',
      municipalityId: MUNICIPALITY,
      studentId: randomUUID(),
      schoolId: randomUUID(),
      schoolYear: '2030-2031',
      runId: randomUUID(),
      state: 'ready',
      createdAt,
      expiresAt: deadlineOf(new Date(createdAt), 12).toISOString(),
      bytes: { pdf: 0, json: 0 },
      pending: null,
    };
  });
}

async function samplePdf(): Promise<Buffer> {
  const now = new Date().toISOString();
  return renderReportPdf(
    buildReportContent({
      reportId: randomUUID(),
      schoolYear: '2030-2031',
      createdAt: now,
      municipality: { id: MUNICIPALITY, name: 'Benchkommune' },
      student: { id: 's', type: 'student', municipalityId: MUNICIPALITY, givenName: 'Åse', familyName: 'Ørjasæter', birthDate: '2015-01-01', schoolId: 'x', yearLevel: 10, status: 'leaver', groupIds: [], teacherIds: [], createdAt: now, updatedAt: now },
      school: { id: 'x', type: 'school', municipalityId: MUNICIPALITY, name: 'Bjølsen skole', createdAt: now, updatedAt: now },
      records: [],
    }),
  );
}

async function uploadBlobs(services: Services, reports: readonly StoredLeaverReport[], pdf: Buffer): Promise<void> {
  const container = services.blob.getContainerClient(LEAVER_REPORT_BLOB_CONTAINER);
  const uploads = reports.flatMap((report) => REPORT_FORMATS.map((format) => ({ name: blobNameOf(report, format), format, runid: report.runId })));
  for (let start = 0; start < uploads.length; start += 32) {
    await Promise.all(
      uploads.slice(start, start + 32).map((upload) =>
        container.getBlockBlobClient(upload.name).uploadData(upload.format === 'pdf' ? pdf : Buffer.from('{}'), {
          blobHTTPHeaders: { blobContentType: CONTENT_TYPES[upload.format] },
          metadata: { runid: upload.runid },
        }),
      ),
    );
  }
}
