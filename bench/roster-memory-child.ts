// The roster bench's memory child: one step of an import (a parse, a plan against an empty
// directory, or a re-plan against what the plan wrote) in a fresh process, run in a worker thread
// with the plan step's bounded heap as the app runs it; the process prints its peak RSS. bench/roster-import.ts bundles this file as the app is bundled for the host and
// runs it with plain node; it imports only what the import's plan step runs and the emulator's
// account (the sign-in issuer comes in ROSTER_BENCH_ISSUER), so what the process holds besides
// is the plan step's.
import { createHash } from 'node:crypto';
import { appendFileSync, createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { isMainThread } from 'node:worker_threads';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { runInWorker, serveTask } from '../lib/jobs/bounded-worker.js';
import { RosterArchive } from '../lib/roster-import/roster-archive.js';
import { ROSTER_FILE_KEYS, ROSTER_FILES, readColumns } from '../lib/roster-import/roster-files.js';
import { ROSTER_LIMITS } from '../lib/roster-import/roster-limits.js';
import { readManifest } from '../lib/roster-import/roster-manifest.js';
import { planImport } from '../lib/roster-import/roster-plan.js';
import { readRosterAndDirectory } from '../lib/roster-import/roster-read-order.js';
import { DirectorySnapshot, type SnapshotDocument } from '../lib/roster-import/roster-snapshot.js';
import { ROSTER_UPLOADS_CONTAINER } from '../lib/roster-import/roster-uploads.js';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../local/stack.js';

/** The bench's municipality. */
export const MUNICIPALITY = '0301';

/** What the step in the worker answers; the process adds its peak and time. */
type StepResult = Omit<MemoryResult, 'peakMb' | 'seconds'>;

/** What a child prints, as its last line of output. */
export interface MemoryResult {
  peakMb: number;
  rows: number;
  seconds: number;
  planned: number;
  fingerprint?: string;
}

/**
 * The memory child's step, in a worker thread with the plan step's heap (`ROSTER_LIMITS.planHeap`),
 * as the app runs the plan step (roster-plan-host.ts): `parse` streams every file through
 * csv-parse; `plan` reads, checks and plans against an empty directory; `replan` against what
 * `plan` planned.
 */
async function step(phase: string): Promise<StepResult> {
  const service = new BlobServiceClient(process.env.ROSTER_BENCH_ENDPOINT ?? '', new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
  const blob = service.getContainerClient(ROSTER_UPLOADS_CONTAINER).getBlobClient(process.env.ROSTER_BENCH_BLOB ?? '');
  const { archive } = await RosterArchive.openUpload(blob);
  let rows = 0;
  let planned = 0;
  let fingerprint: string | undefined;
  if (phase === 'parse') {
    for (const key of ROSTER_FILE_KEYS) for await (const _row of archive.rows(ROSTER_FILES[key].file, (header) => readColumns(key, header))) rows += 1;
  } else {
    const modes = await readManifest(archive, 'bulk');
    const documents = process.env.ROSTER_BENCH_DOCUMENTS ?? '';
    // In the import's order: this bulk file is read before the directory, which then shares the roster's user ids.
    const { roster, snapshot } = await readRosterAndDirectory(archive, modes, { municipalityId: MUNICIPALITY, today: '2026-11-30', identityType: 'Feide', listedRejections: 1000 }, (userIds) =>
      phase === 'replan' ? DirectorySnapshot.of(storedDocuments(documents), userIds) : Promise.resolve(new DirectorySnapshot(userIds)),
    );
    // Each write is serialised as the import's batch sink does, then dropped (the import stores it in Blob Storage);
    // a first plan also keeps its documents on disk, for the re-import.
    // The fingerprint (writes in order, counts, samples, rejections; a fixed clock) shows a change of the planner kept its output.
    const digest = createHash('sha256');
    let lines: string[] = [];
    const plan = await planImport(roster, snapshot, { municipalityId: MUNICIPALITY, today: '2026-11-30', now: '2026-11-30T00:00:00.000Z', identityIssuer: process.env.ROSTER_BENCH_ISSUER ?? '', erased: () => false }, async (op) => {
      planned += 1;
      const json = JSON.stringify(op);
      digest.update(json);
      if (phase !== 'plan') return;
      lines.push(JSON.stringify(op.doc));
      if (lines.length < 100) return;
      appendFileSync(documents, `${lines.join('\n')}\n`);
      lines = [];
    });
    if (lines.length > 0) appendFileSync(documents, `${lines.join('\n')}\n`);
    digest.update(JSON.stringify(plan));
    digest.update(JSON.stringify({ t: roster.tallies, r: roster.rejections }));
    fingerprint = digest.digest('hex').slice(0, 16);
    rows = Object.values(roster.tallies).reduce((sum, tally) => sum + tally.read, 0);
    if (phase === 'plan' && planned === 0) throw new Error('nothing planned');
  }
  archive.close();
  return { rows, planned, ...(fingerprint ? { fingerprint } : {}) };
}

/**
 * The documents a first import stored, as the directory query returns them: pages of 100
 * (`DIRECTORY_PAGE_SIZE`, which it asks for), each document with its system properties.
 */
async function* storedDocuments(path: string): AsyncGenerator<SnapshotDocument[]> {
  let page: SnapshotDocument[] = [];
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(path) })) {
    if (!line) continue;
    n += 1;
    const system = { _rid: `bench${String(n).padStart(12, '0')}==`, _self: `dbs/bench/colls/directory/docs/bench${n}/`, _etag: `"${String(n).padStart(8, '0')}-0000-0000-0000-000000000000"`, _attachments: 'attachments/', _ts: 1_795_000_000 };
    page.push({ ...JSON.parse(line), ...system });
    if (page.length < 100) continue;
    yield page;
    page = [];
  }
  if (page.length > 0) yield page;
}

/** Runs the step in its worker and prints the process's peak RSS (the worker's memory is the process's) and the step's time, its worker's start included. */
async function child(phase: string): Promise<void> {
  const started = performance.now();
  const result = await runInWorker<StepResult>(new URL(import.meta.url), phase, ROSTER_LIMITS.planHeap);
  console.log(JSON.stringify({ ...result, peakMb: process.resourceUsage().maxRSS / 1024, seconds: (performance.now() - started) / 1000 }));
}

if (process.env.ROSTER_BENCH_CHILD) {
  if (isMainThread) await child(process.env.ROSTER_BENCH_CHILD);
  else serveTask(step);
}
