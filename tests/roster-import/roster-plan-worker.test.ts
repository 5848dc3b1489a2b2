import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ActivityHandler } from 'durable-functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInWorker } from '../../lib/jobs/bounded-worker.js';
import { localDriverRuntime } from '../../lib/jobs/local-jobs.js';
import { batchPrefix } from '../../lib/roster-import/roster-batch-blobs.js';
import { ROSTER_LIMITS } from '../../lib/roster-import/roster-limits.js';
import type { PlanStepInput, PlanStepOutcome } from '../../lib/roster-import/roster-plan-step.js';
import type { PlanWorkerInput } from '../../lib/roster-import/roster-plan-worker.js';
import { rosterBlobs } from '../../lib/roster-import/roster-uploads.js';
import { bundleEntry } from '../../scripts/bundle-entry.js';
import { municipalityApp } from '../support/test-app.js';
import { importRoster, rosterFiles, upload, zip, type RosterSet } from './oneroster-fixture.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function pupils(municipalityId: string, count: number): RosterSet {
  return {
    municipalityId,
    schools: [{ sourcedId: 'sch-1', name: 'Byåsen skole', organisationNumber: '974500031' }],
    people: Array.from({ length: count }, (_, index) => ({ sourcedId: `elev-${index}`, givenName: `Elev${index}`, familyName: 'Trondheim', role: 'student' as const, school: 'sch-1', grade: '05', birthDate: '2016-03-03' })),
    classes: [],
    enrollments: [],
  };
}

describe('the plan step in its bundled worker, as the Functions host runs it', () => {
  const M = '5081';
  const app = municipalityApp(M);
  const outDir = join(root, '.cache', `plan-worker-${randomUUID().slice(0, 8)}`);
  let worker: URL;

  beforeAll(async () => {
    await bundleEntry(join(outDir, 'functions'));
    worker = pathToFileURL(join(outDir, 'functions', 'chunks', 'roster-plan-worker.js'));
  }, 120_000);
  afterAll(() => rm(outDir, { recursive: true, force: true }));

  it("plans a run's upload against the emulators through its own clients and stores its batches where the apply step reads them", async () => {
    const blob = await upload(app.test, app.admin, M, zip(rosterFiles(pupils(M, 150))));
    const { etag } = await rosterBlobs(app.test.app.services.uploadBlob).getBlobClient(blob).getProperties();
    const run = { id: randomUUID(), municipalityId: M, blob, blobEtag: etag ?? '', mode: 'bulk' as const, dryRun: false };
    const step: PlanStepInput = { run, now: new Date().toISOString(), identity: app.test.app.config.rosterIdentity, erasures: { municipalityId: M, digests: [] } };
    const outcome = await runInWorker<PlanStepOutcome>(worker, { config: app.test.app.config, step } satisfies PlanWorkerInput, ROSTER_LIMITS.planHeap);
    expect(outcome).toMatchObject({ kind: 'planned', rejected: 0, batches: 2 });
    expect(outcome.kind === 'planned' && outcome.files['users.csv']).toMatchObject({ read: 150, created: 150 });
    // The school and 150 pupils, in batches of at most 100 writes.
    const stored: string[] = [];
    for await (const item of rosterBlobs(app.test.app.services.blob).listBlobsFlat({ prefix: batchPrefix(run) })) stored.push(item.name);
    expect(stored).toHaveLength(2);
  });

  it('answers a refusal as data, not as a failure to retry: an upload that is gone fails its pinned read (412), "changed"', async () => {
    const run = { id: randomUUID(), municipalityId: M, blob: `${M}/uploads/never-uploaded.zip`, blobEtag: '"0x0"', mode: 'bulk' as const, dryRun: true };
    const step: PlanStepInput = { run, now: new Date().toISOString(), identity: app.test.app.config.rosterIdentity, erasures: { municipalityId: M, digests: [] } };
    await expect(runInWorker<PlanStepOutcome>(worker, { config: app.test.app.config, step } satisfies PlanWorkerInput, ROSTER_LIMITS.planHeap)).resolves.toMatchObject({ kind: 'refused', refusal: 'changed' });
  });
});

describe('a plan step that outgrows its heap (a heap too small for it, injected)', () => {
  const M = '5082';
  let planAttempts = 0;
  const wrapActivity = (name: string, handler: ActivityHandler): ActivityHandler => async (input, context) => {
    if (name === 'roster-import-plan') planAttempts += 1;
    return handler(input, context);
  };
  const app = municipalityApp(M, { composition: { jobRuntime: localDriverRuntime({ wrapActivity }), rosterPlan: { thread: 'worker', heap: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 } } } });

  it('fails its run at once with the reason, writing nothing, and leaves the process serving', async () => {
    const run = await importRoster(app.test, app.admin, M, zip(rosterFiles(pupils(M, 300))));
    expect(run).toMatchObject({ status: 'failed', failure: expect.stringMatching(/larger than an import can plan/), batches: 0 });
    // The same file would outgrow the same heap again: the step is not retried.
    expect(planAttempts).toBe(1);
    const students = await app.test.request<{ items: unknown[] }>('GET', `/municipalities/${M}/students?limit=10`, { token: app.admin });
    expect(students.status).toBe(200);
    expect(students.body.items).toEqual([]);
  });
});
