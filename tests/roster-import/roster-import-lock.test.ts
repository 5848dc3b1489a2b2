import type { PluginConfig } from '@azure/cosmos';
import type { ActivityHandler } from 'durable-functions';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../lib/clock.js';
import type { JobRuntime } from '../../lib/jobs/job-runtime.js';
import { localDriverRuntime } from '../../lib/jobs/local-jobs.js';
import { InvocationContext } from '@azure/functions';
import { durableClientInput, withInvocation } from '../../lib/jobs/invocation-scope.js';
import type { JobScheduler } from '../../lib/jobs/job-scheduler.js';
import { ROSTER_IMPORT_ORCHESTRATOR, rosterImportInstanceId } from '../../lib/roster-import/roster-import-service.js';
import { rosterBlobs } from '../../lib/roster-import/roster-uploads.js';
import { erasuresSettled } from '../support/erasures.js';
import { allItems, bootstrapAdminToken, createStaffUser, registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { follow, importRoster, rosterFiles, upload, zip, type RosterSet, type RunView } from './oneroster-fixture.js';

const MINUTE = 60_000;

/** The app's clock, moved ahead of real time by hand (not frozen: runs still get distinct createdAt). */
const clock: Clock & { aheadMs: number } = { aheadMs: 0, now: () => new Date(Date.now() + clock.aheadMs) };

/** Every hold point a test made: released after the test, so no held work outlives it. */
const holdPoints: { release: () => void }[] = [];

/** A point a fault holds work at: `reached` once the work gets there, `release` lets it go on. */
function holdPoint() {
  let reached!: () => void;
  let release!: () => void;
  const point = {
    reachedAt: new Promise<void>((resolve) => (reached = resolve)),
    released: new Promise<void>((resolve) => (release = resolve)),
    reached: () => reached(),
    release: () => release(),
  };
  holdPoints.push(point);
  return point;
}

/** Holds the first `parties` arrivals until all have arrived (or 20 s have passed), then lets them on together. */
function barrier(parties: number) {
  let arrivals = 0;
  let met = false;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
    setTimeout(resolve, 20_000).unref();
  });
  return {
    get met() {
      return met;
    },
    /** False once `parties` have arrived: later requests pass freely. */
    get armed() {
      return arrivals < parties;
    },
    async arrive() {
      arrivals += 1;
      if (arrivals === parties) {
        met = true;
        open();
      }
      await opened;
    },
  };
}

/** Injected faults, none armed: each test arms the ones it names, and `afterEach` disarms them all. */
const unarmed = () => ({
  /** `scheduler.start` of the next roster import throws, as when the Durable client cannot be reached. */
  failStart: false,
  /** `scheduler.state` throws, as when the Durable extension cannot be reached. */
  failState: false,
  /** `scheduler.start` of the next roster import waits (a start or resume between marking its run and scheduling it). */
  holdStart: undefined as ReturnType<typeof holdPoint> | undefined,
  /** The plan activity waits before it runs. */
  holdPlan: undefined as ReturnType<typeof holdPoint> | undefined,
  /** The apply activity fails for every batch past the first. */
  failApply: false,
  /** The fail activity fails too (its retries spent), so the orchestration ends failed with its run still applying. */
  failFailStep: false,
  /** The apply activity of every batch past the first waits before it runs. */
  holdApply: undefined as ReturnType<typeof holdPoint> | undefined,
  /** The next point read of the import lock waits (a run's renewal, once it has read its run). */
  holdLockRead: undefined as ReturnType<typeof holdPoint> | undefined,
  /** The plan's read of the directory (its one query) waits: the middle of the plan step. */
  holdSnapshot: undefined as ReturnType<typeof holdPoint> | undefined,
  /** The next create of a run document waits: a start between its lock write and its run's create. */
  holdRunCreate: undefined as ReturnType<typeof holdPoint> | undefined,
  /** The next create of a run document fails (as when Cosmos DB is unreachable). */
  failRunCreate: false,
  /** Every replace of this run's document fails (as when Cosmos DB is unreachable for it). */
  failRunWrites: undefined as string | undefined,
  /** Point reads of the import lock wait for each other, so that two requests read the same ETag. */
  lockReads: undefined as ReturnType<typeof barrier> | undefined,
  /** The next replace of the import lock (a run's renewal, once it has read the lock) waits. */
  holdLockReplace: undefined as ReturnType<typeof holdPoint> | undefined,
  /** The next delete of the import lock (a run freeing it as it finishes) waits. */
  holdUnlock: undefined as ReturnType<typeof holdPoint> | undefined,
  /** Once the import lock is deleted (a run freeing it as it finishes), the next replace of a run document fails: its write of `completed`. */
  failWriteAfterUnlock: false,
  /** Armed by that delete. */
  failNextRunWrite: false,
  /** Replaces of the import lock refused with 412, counted. */
  lockReplacesRefused: 0,
  /** Plan activities run (each attempt), counted. */
  planAttempts: 0,
  /** Finish activities run (each attempt), counted. */
  finishAttempts: 0,
  /** The second attempt of a finish (its retry) waits before it runs. */
  holdFinishRetry: undefined as ReturnType<typeof holdPoint> | undefined,
});
const faults = unarmed();

const wrapActivity = (name: string, handler: ActivityHandler): ActivityHandler => async (input, context) => {
  if (name === 'roster-import-plan') faults.planAttempts += 1;
  if (name === 'roster-import-finish') {
    faults.finishAttempts += 1;
    const retry = faults.holdFinishRetry;
    if (retry && faults.finishAttempts === 2) {
      retry.reached();
      await retry.released;
    }
  }
  if (name === 'roster-import-plan' && faults.holdPlan) {
    faults.holdPlan.reached();
    await faults.holdPlan.released;
  }
  if (name === 'roster-import-fail' && faults.failFailStep) throw new Error('injected database outage');
  if (name === 'roster-import-apply' && (input as { batch: number }).batch >= 1) {
    if (faults.failApply) throw new Error('injected storage outage');
    if (faults.holdApply) {
      faults.holdApply.reached();
      await faults.holdApply.released;
    }
  }
  return handler(input, context);
};

/** The app's scheduler (the local durable driver), for a test to ask where an orchestration stands. */
let appScheduler: JobScheduler | undefined;

/** Where a run's orchestration stands, asked as a function with the durable client binding asks. */
const orchestrationState = (runId: string) =>
  withInvocation(new InvocationContext({ functionName: 'test-orchestration-state', options: { extraInputs: [durableClientInput()] } }), () => appScheduler?.state(rosterImportInstanceId(runId)));

const faultyScheduler: JobRuntime = async (context) => {
  const scheduler = await localDriverRuntime({ wrapActivity })(context);
  appScheduler = scheduler;
  const state = scheduler.state.bind(scheduler);
  scheduler.state = async (instanceId) => {
    if (faults.failState) throw new Error('injected durable extension outage');
    return state(instanceId);
  };
  const start = scheduler.start.bind(scheduler);
  scheduler.start = async (orchestrator, input, instanceId) => {
    const heldStart = faults.holdStart;
    if (heldStart && orchestrator === ROSTER_IMPORT_ORCHESTRATOR) {
      faults.holdStart = undefined;
      heldStart.reached();
      await heldStart.released;
    }
    if (faults.failStart && orchestrator === ROSTER_IMPORT_ORCHESTRATOR) {
      faults.failStart = false;
      throw new Error('injected scheduler outage');
    }
    return start(orchestrator, input, instanceId);
  };
  return scheduler;
};

const cosmosFaults: PluginConfig = {
  on: 'request',
  plugin: async (context, _diagnostics, next) => {
    const { operationType, path, body } = context as { operationType?: string; path?: string; body?: unknown };
    const snapshot = faults.holdSnapshot;
    if (snapshot && operationType === 'query' && JSON.stringify(body ?? '').includes("'school', 'user', 'student', 'group'")) {
      faults.holdSnapshot = undefined;
      snapshot.reached();
      await snapshot.released;
    }
    const isRunCreate = operationType === 'create' && (typeof body === 'string' ? body : JSON.stringify(body ?? '')).includes('"type":"roster-import"');
    if (faults.failRunCreate && isRunCreate) {
      faults.failRunCreate = false;
      throw new Error('injected write failure');
    }
    const runCreate = faults.holdRunCreate;
    if (runCreate && isRunCreate) {
      faults.holdRunCreate = undefined;
      runCreate.reached();
      await runCreate.released;
    }
    if (faults.failRunWrites && operationType === 'replace' && path?.endsWith(`/docs/${faults.failRunWrites}`) === true) throw new Error('injected write failure');
    if (faults.failNextRunWrite && operationType === 'replace' && (typeof body === 'string' ? body : JSON.stringify(body ?? '')).includes('"type":"roster-import"')) {
      faults.failNextRunWrite = false;
      throw new Error('injected write failure');
    }
    const lockRead = operationType === 'read' && path?.endsWith('/docs/roster-import-lock') === true;
    const lockReads = faults.lockReads;
    if (lockReads?.armed && lockRead) await lockReads.arrive();
    const heldRead = faults.holdLockRead;
    if (heldRead && lockRead) {
      faults.holdLockRead = undefined;
      heldRead.reached();
      await heldRead.released;
    }
    const lockReplace = operationType === 'replace' && path?.endsWith('/docs/roster-import-lock') === true;
    const heldReplace = faults.holdLockReplace;
    if (heldReplace && lockReplace) {
      faults.holdLockReplace = undefined;
      heldReplace.reached();
      await heldReplace.released;
    }
    if (faults.failWriteAfterUnlock && operationType === 'delete' && path?.endsWith('/docs/roster-import-lock') === true) {
      faults.failWriteAfterUnlock = false;
      faults.failNextRunWrite = true;
    }
    const heldUnlock = faults.holdUnlock;
    if (heldUnlock && operationType === 'delete' && path?.endsWith('/docs/roster-import-lock') === true) {
      faults.holdUnlock = undefined;
      heldUnlock.reached();
      await heldUnlock.released;
    }
    try {
      return await next(context);
    } catch (error) {
      if (lockReplace && (error as { code?: number }).code === 412) faults.lockReplacesRefused += 1;
      throw error;
    }
  },
};

/** One school of `count` pupils named `{prefix}{n}`: 100 writes a batch, so 150 pupils make two batches. */
function pupils(municipalityId: string, prefix: string, count: number): RosterSet {
  return {
    municipalityId,
    schools: [{ sourcedId: 'sch-1', name: 'Lademoen skole', organisationNumber: '974500001' }],
    people: Array.from({ length: count }, (_, index) => ({
      sourcedId: `${prefix}-${index}`,
      givenName: `${prefix}${index}`,
      familyName: 'Trondheim',
      role: 'student' as const,
      school: 'sch-1',
      grade: '07',
      birthDate: '2014-05-05',
    })),
    classes: [],
    enrollments: [],
  };
}

// Each test runs one to three imports; the suite shares two cores with everything else.
describe('roster import lock, run writes and resume (faults injected: scheduler, activities, Cosmos DB requests)', { timeout: 90_000 }, () => {
  let test: TestApp;

  const admin = async (municipalityId: string) => {
    await registerMunicipality(test, municipalityId);
    return bootstrapAdminToken(test, municipalityId);
  };
  /** The run a start or resume answered with, as a path to request. */
  const runPath = (answered: { headers: Headers }) => (answered.headers.get('location') ?? '').replace(/^\/api/, '');
  const start = (token: string, municipalityId: string, blob: string, mode: 'bulk' | 'delta' = 'bulk') =>
    test.request<RunView>('POST', `/municipalities/${municipalityId}/roster-imports`, { token, body: { blob, mode, dryRun: false } });
  /** Every pupil of the municipality, page by page. */
  const pupilNames = (token: string, municipalityId: string) =>
    allItems<{ givenName: string; status: string }>(test, `/municipalities/${municipalityId}/students?limit=100`, token);
  const storedBlobs = async (prefix: string) => {
    const names: string[] = [];
    for await (const blob of rosterBlobs(test.app.services.blob).listBlobsFlat({ prefix })) names.push(blob.name);
    return names;
  };

  beforeAll(async () => {
    // The plan step in the app's thread: the faults injected into the app's Cosmos DB client must reach its directory read.
    test = await startTestApp({ clock, composition: { jobRuntime: faultyScheduler, cosmosPlugins: [cosmosFaults], rosterPlan: { thread: 'app' } } });
  }, 60_000);

  afterAll(async () => {
    await test?.close();
  });

  // A test that fails part way leaves nothing armed or held for the next one.
  afterEach(() => {
    for (const point of holdPoints.splice(0)) point.release();
    Object.assign(faults, unarmed());
    clock.aheadMs = 0;
  });

  it('a start whose orchestration cannot be scheduled (scheduler fault injected) answers 503, leaves the run failed and the lock free, so the next import runs', async () => {
    const M = '5101';
    const token = await admin(M);
    const file = zip(rosterFiles(pupils(M, 'Elev', 3)));
    faults.failStart = true;
    const refused = await start(token, M, await upload(test, token, M, file));
    expect(refused.status, refused.text).toBe(503);
    expect(refused.body).toMatchObject({ type: expect.stringMatching(/unavailable/), detail: expect.stringMatching(/could not be started/) });
    const runs = await test.request<{ items: RunView[] }>('GET', `/municipalities/${M}/roster-imports`, { token });
    expect(runs.body.items).toEqual([expect.objectContaining({ status: 'failed', failure: expect.stringMatching(/could not be started/) })]);

    const next = await importRoster(test, token, M, file);
    expect(next.status).toBe('completed');
    expect(await pupilNames(token, M)).toHaveLength(3);
  });

  it('a lock whose holder showed no progress for 30 minutes is taken over by exactly one of two racing imports (lock reads held at a barrier), and the stale run ends superseded having written nothing', async () => {
    const M = '5102';
    const token = await admin(M);
    // Uploaded before the clock moves: Azurite checks the upload URL against real time.
    const staleBlob = await upload(test, token, M, zip(rosterFiles(pupils(M, 'Gammel', 3))));
    const newFile = zip(rosterFiles(pupils(M, 'Ny', 3)));
    const [early, racerA, racerB] = [await upload(test, token, M, newFile), await upload(test, token, M, newFile), await upload(test, token, M, newFile)];
    faults.holdPlan = holdPoint();
    const stale = await start(token, M, staleBlob);
    expect(stale.status).toBe(202);
    await faults.holdPlan.reachedAt;

    clock.aheadMs = 29 * MINUTE;
    expect((await start(token, M, early)).status).toBe(409);

    clock.aheadMs = 31 * MINUTE;
    const lockReads = barrier(2);
    faults.lockReads = lockReads;
    const raced = await Promise.all([start(token, M, racerA), start(token, M, racerB)]);
    expect(lockReads.met).toBe(true);
    expect(raced.map((response) => response.status).sort()).toEqual([202, 409]);
    const winner = raced.find((response) => response.status === 202);

    faults.holdPlan.release();
    faults.holdPlan = undefined;
    expect(await follow(test, token, winner?.headers.get('location') ?? '')).toMatchObject({ status: 'completed' });
    const old = await follow(test, token, stale.headers.get('location') ?? '');
    expect(old).toMatchObject({ status: 'superseded', failure: expect.stringMatching(/No progress for 30 minutes/) });
    expect((await pupilNames(token, M)).map((pupil) => pupil.givenName).sort()).toEqual(['Ny0', 'Ny1', 'Ny2']);
    expect(await storedBlobs(`${M}/runs/`)).toEqual([]);
  });

  it('a plan step that finds its run planned meanwhile by a duplicate (its lock renewal held while the other plans) answers the progress, not "stopped", and the run completes', async () => {
    const M = '5113';
    const token = await admin(M);
    const imports = test.app.services.rosterImports;
    const plan = holdPoint();
    const renewal = holdPoint();
    faults.holdPlan = plan;
    const started = await start(token, M, await upload(test, token, M, zip(rosterFiles(pupils(M, 'Elev', 150)))));
    expect(started.status).toBe(202);
    await plan.reachedAt;
    faults.holdPlan = undefined;
    faults.holdLockRead = renewal;
    const late = imports.plan(M, started.body.id);
    await renewal.reachedAt;
    expect(await imports.plan(M, started.body.id)).toEqual({ batches: 2, appliedBatches: 0 });
    renewal.release();
    expect(await late).toEqual({ batches: 2, appliedBatches: 0 });
    plan.release();
    expect(await follow(test, token, started.headers.get('location') ?? '')).toMatchObject({ status: 'completed', batches: 2, appliedBatches: 2 });
    expect(await pupilNames(token, M)).toHaveLength(150);
  });

  it("a run's renewal of the lock that loses a race with another write of the lock (412, its replace held while the lock is rewritten) reads the lock again, still holds it, and the step goes on (no retry of the step)", async () => {
    const M = '5114';
    const token = await admin(M);
    const locks = test.app.services.cosmos.containers.directory.item('roster-import-lock', M);
    const renewal = holdPoint();
    faults.holdLockReplace = renewal;
    faults.lockReplacesRefused = 0;
    faults.planAttempts = 0;
    const started = await start(token, M, await upload(test, token, M, zip(rosterFiles(pupils(M, 'Elev', 150)))));
    expect(started.status, started.text).toBe(202);
    await renewal.reachedAt;
    // The same lock written again meanwhile: same holder, a new ETag.
    const { resource: lock } = await locks.read<{ runId: string }>();
    expect(lock?.runId).toBe(started.body.id);
    await locks.replace(lock!);
    renewal.release();
    expect(await follow(test, token, started.headers.get('location') ?? '')).toMatchObject({ status: 'completed', batches: 2, appliedBatches: 2 });
    expect(faults.lockReplacesRefused).toBe(1);
    // Renewed within the step: the plan was not failed and retried.
    expect(faults.planAttempts).toBe(1);
    expect(await pupilNames(token, M)).toHaveLength(150);
  });

  it('a run reads completed only once its lock is freed and its files are gone, so the next import can start the moment it does (the lock\'s delete held)', async () => {
    const M = '5116';
    const token = await admin(M);
    for (const dryRun of [false, true]) {
      const blob = await upload(test, token, M, zip(rosterFiles(pupils(M, dryRun ? 'Prøve' : 'Elev', 3))));
      const unlock = holdPoint();
      faults.holdUnlock = unlock;
      const started = await test.request<RunView>('POST', `/municipalities/${M}/roster-imports`, { token, body: { blob, mode: 'bulk', dryRun } });
      expect(started.status, started.text).toBe(202);
      await unlock.reachedAt;
      const finishing = await test.request<RunView>('GET', runPath(started), { token });
      expect({ dryRun, status: finishing.body.status }).toEqual({ dryRun, status: 'applying' });
      expect(await storedBlobs(`${M}/runs/`), 'the batches are gone before the lock is freed').toEqual([]);
      expect(await storedBlobs(blob), 'the upload of a real import too').toEqual(dryRun ? [blob] : []);
      unlock.release();
      expect((await follow(test, token, started.headers.get('location') ?? '')).status).toBe('completed');
      const next = await start(token, M, await upload(test, token, M, zip(rosterFiles(pupils(M, 'Neste', 1)))));
      expect(next.status, next.text).toBe(202);
      expect((await follow(test, token, next.headers.get('location') ?? '')).status).toBe('completed');
    }
  });

  it('a finish step retried after its write of "completed" failed (fault injected once the lock is freed) completes the run, not "superseded" for the lock it freed itself', async () => {
    const M = '5131';
    const token = await admin(M);
    faults.failWriteAfterUnlock = true;
    const run = await importRoster(test, token, M, zip(rosterFiles(pupils(M, 'Elev', 3))));
    expect({ armed: faults.failWriteAfterUnlock, pending: faults.failNextRunWrite }, 'the fault was met').toEqual({ armed: false, pending: false });
    expect({ status: run.status, failure: run.failure, applied: run.appliedBatches }).toEqual({ status: 'completed', failure: null, applied: 1 });
    expect(await pupilNames(token, M)).toHaveLength(3);
  });

  it('a finish retried after a newer import took the lock it had freed (its write of "completed" failed, the retry held while the next import starts) completes the run, not "superseded"', async () => {
    const M = '5136';
    const token = await admin(M);
    faults.failWriteAfterUnlock = true;
    const retry = holdPoint();
    faults.holdFinishRetry = retry;
    const started = await start(token, M, await upload(test, token, M, zip(rosterFiles(pupils(M, 'Elev', 3)))));
    expect(started.status).toBe(202);
    await retry.reachedAt;
    const next = await start(token, M, await upload(test, token, M, zip(rosterFiles(pupils(M, 'Neste', 1)))));
    expect(next.status, next.text).toBe(202);
    retry.release();
    expect(await follow(test, token, runPath(started))).toMatchObject({ status: 'completed', failure: null, appliedBatches: 1 });
    expect(await follow(test, token, runPath(next))).toMatchObject({ status: 'completed' });
  });

  it('a takeover whose ending of the stale run fails (its run writes fault injected) still answers 202 and runs the new import; the stale run ends superseded at its next step', async () => {
    const M = '5110';
    const token = await admin(M);
    const staleBlob = await upload(test, token, M, zip(rosterFiles(pupils(M, 'Gammel', 3))));
    const newBlob = await upload(test, token, M, zip(rosterFiles(pupils(M, 'Ny', 3))));
    faults.holdPlan = holdPoint();
    const stale = await start(token, M, staleBlob);
    expect(stale.status).toBe(202);
    await faults.holdPlan.reachedAt;
    const plan = faults.holdPlan;
    faults.holdPlan = undefined;

    clock.aheadMs = 31 * MINUTE;
    faults.failRunWrites = stale.body.id;
    const newer = await start(token, M, newBlob);
    faults.failRunWrites = undefined;
    expect(newer.status, newer.text).toBe(202);
    expect(await follow(test, token, newer.headers.get('location') ?? '')).toMatchObject({ status: 'completed' });

    plan.release();
    expect(await follow(test, token, stale.headers.get('location') ?? '')).toMatchObject({ status: 'superseded' });
    expect((await pupilNames(token, M)).map((pupil) => pupil.givenName).sort()).toEqual(['Ny0', 'Ny1', 'Ny2']);
  });

  it('a start while another start has taken the lock but not yet stored its run (its run create held) answers 409, and the first import runs', async () => {
    const M = '5111';
    const token = await admin(M);
    const [firstBlob, secondBlob] = [await upload(test, token, M, zip(rosterFiles(pupils(M, 'Forst', 3)))), await upload(test, token, M, zip(rosterFiles(pupils(M, 'Andre', 3))))];
    const create = holdPoint();
    faults.holdRunCreate = create;
    const first = start(token, M, firstBlob);
    await create.reachedAt;
    const second = await start(token, M, secondBlob);
    expect(second.status, second.text).toBe(409);
    create.release();
    const started = await first;
    expect(started.status, started.text).toBe(202);
    expect(await follow(test, token, started.headers.get('location') ?? '')).toMatchObject({ status: 'completed' });
    expect((await pupilNames(token, M)).map((pupil) => pupil.givenName).sort()).toEqual(['Forst0', 'Forst1', 'Forst2']);
  });

  it('a start whose run cannot be stored (its create fault injected) frees the lock it took, so the next start is not refused for 30 minutes', async () => {
    const M = '5112';
    const token = await admin(M);
    const file = zip(rosterFiles(pupils(M, 'Elev', 3)));
    faults.failRunCreate = true;
    expect((await start(token, M, await upload(test, token, M, file))).status).toBe(500);
    faults.failRunCreate = false;
    expect(await importRoster(test, token, M, file)).toMatchObject({ status: 'completed' });
  });

  it('a run taken over while it applies (its renewal of the lock held until the newer import has completed) writes no batch after the takeover', async () => {
    const M = '5107';
    const token = await admin(M);
    const staleFile = zip(rosterFiles(pupils(M, 'Gammel', 150)));
    const newBlob = await upload(test, token, M, zip(rosterFiles(pupils(M, 'Ny', 3))));
    const apply = holdPoint();
    const renewal = holdPoint();
    faults.holdApply = apply;
    const stale = await start(token, M, await upload(test, token, M, staleFile));
    expect(stale.status).toBe(202);
    await apply.reachedAt;
    // The stale run reads itself (applying), then its renewal of the lock waits while a newer import takes the lock over.
    faults.holdLockRead = renewal;
    faults.holdApply = undefined;
    apply.release();
    await renewal.reachedAt;

    clock.aheadMs = 31 * MINUTE;
    const newer = await start(token, M, newBlob);
    expect(newer.status, newer.text).toBe(202);
    expect(await follow(test, token, newer.headers.get('location') ?? '')).toMatchObject({ status: 'completed' });
    const afterNewer = await pupilNames(token, M);

    renewal.release();
    expect(await follow(test, token, stale.headers.get('location') ?? '')).toMatchObject({ status: 'superseded', appliedBatches: 1 });
    const after = await pupilNames(token, M);
    expect(after).toEqual(afterNewer);
    expect(after.filter((pupil) => pupil.givenName.startsWith('Gammel') && pupil.status !== 'leaver')).toEqual([]);
  });

  it('a finish step of a duplicate orchestration, run while a batch is still to apply (apply held), leaves the run applying with its lock, and the run completes every batch', async () => {
    const M = '5109';
    const token = await admin(M);
    const apply = holdPoint();
    faults.holdApply = apply;
    const started = await start(token, M, await upload(test, token, M, zip(rosterFiles(pupils(M, 'Elev', 150)))));
    expect(started.status).toBe(202);
    await apply.reachedAt;
    const imports = test.app.services.rosterImports;
    expect(await imports.plan(M, started.body.id)).toEqual({ batches: 2, appliedBatches: 1 });
    await imports.finish(M, started.body.id);
    const location = started.headers.get('location') ?? '';
    expect((await test.request<RunView>('GET', location.replace(/^\/api/, ''), { token })).body).toMatchObject({ status: 'applying', appliedBatches: 1 });
    expect((await start(token, M, await upload(test, token, M, zip(rosterFiles(pupils(M, 'Ny', 3)))))).status).toBe(409);
    faults.holdApply = undefined;
    apply.release();
    expect(await follow(test, token, location)).toMatchObject({ status: 'completed', batches: 2, appliedBatches: 2 });
    expect(await pupilNames(token, M)).toHaveLength(150);
  });

  it('a run whose planned batches vanish while it applies ends expired at that batch, not retried into a resumable failure', async () => {
    const M = '5108';
    const token = await admin(M);
    const apply = holdPoint();
    faults.holdApply = apply;
    const started = await start(token, M, await upload(test, token, M, zip(rosterFiles(pupils(M, 'Elev', 150)))));
    expect(started.status).toBe(202);
    await apply.reachedAt;
    const runId = started.body.id;
    for (const name of await storedBlobs(`${M}/runs/${runId}/`)) await rosterBlobs(test.app.services.blob).deleteBlob(name);
    faults.holdApply = undefined;
    apply.release();
    const run = await follow(test, token, started.headers.get('location') ?? '');
    expect(run).toMatchObject({ status: 'expired', appliedBatches: 1, failure: expect.stringMatching(/planned batches are gone/) });
    // The lock is free: the next import runs.
    expect(await importRoster(test, token, M, zip(rosterFiles(pupils(M, 'Ny', 3))))).toMatchObject({ status: 'completed' });
  });

  it("an erasure of the admin who started an import, made while the import plans (its directory read held), is not undone by the run's progress writes", async () => {
    const M = '5103';
    const token = await admin(M);
    const starter = await createStaffUser(test, M, ['data-admin']);
    const blob = await upload(test, starter.token, M, zip(rosterFiles(pupils(M, 'Elev', 3))));
    const snapshot = holdPoint();
    faults.holdSnapshot = snapshot;
    const started = await start(starter.token, M, blob);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ requestedBy: starter.id });
    await snapshot.reachedAt;

    const erasure = await test.request('DELETE', `/municipalities/${M}/users/${starter.id}?instructionReference=SAK-2026/15`, { token });
    expect(erasure.status, erasure.text).toBe(202);
    await erasuresSettled(test);
    const location = started.headers.get('location') ?? '';
    expect((await test.request('GET', location.replace(/^\/api/, ''), { token })).body).toMatchObject({ status: 'planning', requestedBy: expect.stringMatching(/^erased:/) });

    snapshot.release();
    const done = await follow(test, token, location);
    expect(done).toMatchObject({ status: 'completed', requestedBy: expect.stringMatching(/^erased:/) });
    // What it wrote afterwards is audited under the erased admin's keyed pseudonym, the one the erasure gave them: never a blank.
    const pseudonym = (await test.request<{ auditPseudonyms: string[] }>('GET', (erasure.headers.get('location') ?? '').replace(/^\/api/, ''), { token })).body.auditPseudonyms[0];
    expect(done.requestedBy).toBe(pseudonym);
    const [pupil] = (await test.request<{ items: { id: string }[] }>('GET', `/municipalities/${M}/students?limit=1`, { token })).body.items;
    const entries = (await test.request<{ items: { action: string; actorId: string; actorRole: string }[] }>('GET', `/municipalities/${M}/audit?targetId=${pupil?.id}`, { token })).body.items;
    expect(entries.filter((entry) => entry.action === 'create')).toEqual([expect.objectContaining({ actorId: pseudonym, actorRole: 'data-admin' })]);
  });

  it('resuming a failed run after a newer import was started ends it superseded (409), and its stale plan writes nothing', async () => {
    const M = '5104';
    const token = await admin(M);
    faults.failApply = true;
    const failed = await importRoster(test, token, M, zip(rosterFiles(pupils(M, 'Gammel', 150))));
    faults.failApply = false;
    expect(failed).toMatchObject({ status: 'failed', batches: 2, appliedBatches: 1 });
    expect(await importRoster(test, token, M, zip(rosterFiles(pupils(M, 'Ny', 3))))).toMatchObject({ status: 'completed' });
    const before = await pupilNames(token, M);

    const resumed = await test.request('POST', `/municipalities/${M}/roster-imports/${failed.id}/resume`, { token });
    expect(resumed.status, resumed.text).toBe(409);
    expect(resumed.body.detail).toMatch(/superseded by a newer import/);
    const run = await test.request<RunView>('GET', `/municipalities/${M}/roster-imports/${failed.id}`, { token });
    expect(run.body).toMatchObject({ status: 'superseded', appliedBatches: 1, failure: expect.stringMatching(/newer import/) });
    expect(before.filter((pupil) => pupil.givenName.startsWith('Gammel')).length).toBeLessThan(150);
    expect(await pupilNames(token, M)).toEqual(before);
    expect(await storedBlobs(`${M}/runs/${failed.id}/`)).toEqual([]);
    expect((await test.request('POST', `/municipalities/${M}/roster-imports/${failed.id}/resume`, { token })).status).toBe(409);
  });

  it('a run whose orchestration ended without ending it (apply and fail steps fault injected) reads failed with the reason, frees the lock, and resumes to completion', async () => {
    const M = '5132';
    const token = await admin(M);
    faults.failApply = true;
    faults.failFailStep = true;
    const started = await start(token, M, await upload(test, token, M, zip(rosterFiles(pupils(M, 'Elev', 150)))));
    expect(started.status).toBe(202);
    const location = runPath(started);
    const runId = location.split('/').pop() ?? '';
    for (let attempt = 0; attempt < 200 && (await orchestrationState(runId)) !== 'failed'; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await orchestrationState(runId)).toBe('failed');
    Object.assign(faults, { failApply: false, failFailStep: false });
    // Within a minute of its last write it is left as it is (a start or resume writes its run just before scheduling).
    expect((await test.request<RunView>('GET', location, { token })).body.status).toBe('applying');
    clock.aheadMs = 2 * MINUTE;
    const stopped = (await test.request<RunView>('GET', location, { token })).body;
    clock.aheadMs = 0; // an upload URL dated ahead is refused by Azurite
    expect(stopped).toMatchObject({ status: 'failed', batches: 2, appliedBatches: 1, failure: expect.stringMatching(/stopped without recording why.*resume it/) });
    // The lock is free: a dry run of another file starts at once.
    const dry = await importRoster(test, token, M, zip(rosterFiles(pupils(M, 'Prøve', 1))), { dryRun: true });
    expect(dry.status).toBe('completed');
    const resumed = await test.request('POST', `/municipalities/${M}/roster-imports/${stopped.id}/resume`, { token });
    expect(resumed.status, resumed.text).toBe(202);
    expect(await follow(test, token, resumed.headers.get('location') ?? '')).toMatchObject({ status: 'completed', appliedBatches: 2 });
    expect(await pupilNames(token, M)).toHaveLength(150);
  });

  it('resuming a run that failed a moment ago, while its orchestration still frees the lock (the lock delete held), answers 409, and resumes once it has stopped', async () => {
    const M = '5133';
    const token = await admin(M);
    faults.failApply = true;
    const unlock = holdPoint();
    faults.holdUnlock = unlock;
    const started = await start(token, M, await upload(test, token, M, zip(rosterFiles(pupils(M, 'Elev', 150)))));
    expect(started.status).toBe(202);
    await unlock.reachedAt;
    faults.failApply = false;
    const location = runPath(started);
    expect((await test.request<RunView>('GET', location, { token })).body.status).toBe('failed');
    const early = await test.request('POST', `${location}/resume`, { token });
    expect(early.status, early.text).toBe(409);
    expect(early.body.detail).toMatch(/still stopping/);
    unlock.release();
    let resumed = early;
    for (let attempt = 0; attempt < 50 && resumed.status === 409; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      resumed = await test.request('POST', `${location}/resume`, { token });
    }
    expect(resumed.status, resumed.text).toBe(202);
    expect(await follow(test, token, location)).toMatchObject({ status: 'completed', appliedBatches: 2 });
    expect(await pupilNames(token, M)).toHaveLength(150);
  });

  it('a run read while its resume has marked it but not yet scheduled it (the scheduler start held) stays resumed, though its last orchestration has ended', async () => {
    const M = '5134';
    const token = await admin(M);
    faults.failApply = true;
    const failed = await importRoster(test, token, M, zip(rosterFiles(pupils(M, 'Elev', 150))));
    faults.failApply = false;
    expect(failed).toMatchObject({ status: 'failed', batches: 2, appliedBatches: 1 });
    const scheduling = holdPoint();
    faults.holdStart = scheduling;
    const location = `/municipalities/${M}/roster-imports/${failed.id}`;
    const resuming = test.request('POST', `${location}/resume`, { token });
    await scheduling.reachedAt;
    // A run written just now is not judged by the orchestration that ended before it.
    expect((await test.request<RunView>('GET', location, { token })).body.status).toBe('applying');
    scheduling.release();
    expect((await resuming).status).toBe(202);
    expect(await follow(test, token, location)).toMatchObject({ status: 'completed', appliedBatches: 2 });
  });

  it('reading a run that has gone a while without a write, while the Durable runtime cannot answer (fault injected), answers the run as stored, not 500', async () => {
    const M = '5135';
    const token = await admin(M);
    const planning = holdPoint();
    faults.holdPlan = planning;
    const started = await start(token, M, await upload(test, token, M, zip(rosterFiles(pupils(M, 'Elev', 3)))));
    expect(started.status).toBe(202);
    await planning.reachedAt;
    clock.aheadMs = 2 * MINUTE;
    faults.failState = true;
    const location = runPath(started);
    const read = await test.request<RunView>('GET', location, { token });
    expect({ status: read.status, run: read.body.status }).toEqual({ status: 200, run: 'queued' });
    Object.assign(faults, { failState: false });
    clock.aheadMs = 0;
    planning.release();
    expect(await follow(test, token, location)).toMatchObject({ status: 'completed' });
  });

  it('resuming a failed run whose planned batches are gone (deleted as the lifecycle rule does) ends it expired (410) at once, and frees the lock', async () => {
    const M = '5105';
    const token = await admin(M);
    faults.failApply = true;
    const failed = await importRoster(test, token, M, zip(rosterFiles(pupils(M, 'Elev', 150))));
    faults.failApply = false;
    expect(failed).toMatchObject({ status: 'failed', batches: 2, appliedBatches: 1 });
    for (const name of await storedBlobs(`${M}/runs/${failed.id}/`)) await rosterBlobs(test.app.services.blob).deleteBlob(name);

    const resumed = await test.request('POST', `/municipalities/${M}/roster-imports/${failed.id}/resume`, { token });
    expect(resumed.status, resumed.text).toBe(410);
    expect(resumed.body).toMatchObject({ type: expect.stringMatching(/gone/), detail: expect.stringMatching(/has expired.*start a new import/) });
    const run = await test.request<RunView>('GET', `/municipalities/${M}/roster-imports/${failed.id}`, { token });
    expect(run.body).toMatchObject({ status: 'expired', appliedBatches: 1, failure: expect.stringMatching(/planned batches are gone/) });
    expect((await test.request('POST', `/municipalities/${M}/roster-imports/${failed.id}/resume`, { token })).status).toBe(410);
    expect(await importRoster(test, token, M, zip(rosterFiles(pupils(M, 'Ny', 3))))).toMatchObject({ status: 'completed' });
  });

  it.each([
    ['gone before it is planned (the plan step held)', '5106', 'holdPlan', 'bulk'],
    // A delta's directory read comes between opening the zip and reading its files (a bulk set's comes after them).
    ['deleted while it is planned, after its zip was opened (a delta, its directory read held)', '5115', 'holdSnapshot', 'delta'],
  ] as const)('an import whose upload is %s ends expired with the reason, having written nothing, not retried into a resumable failure', async (_moment, M, fault, mode) => {
    const token = await admin(M);
    const blob = await upload(test, token, M, zip(rosterFiles(pupils(M, 'Elev', 3), mode)));
    const held = holdPoint();
    faults[fault] = held;
    const started = await start(token, M, blob, mode);
    expect(started.status).toBe(202);
    await held.reachedAt;
    await rosterBlobs(test.app.services.blob).deleteBlob(blob);
    faults[fault] = undefined;
    held.release();
    const run = await follow(test, token, started.headers.get('location') ?? '');
    expect(run).toMatchObject({ status: 'expired', failure: expect.stringMatching(/uploaded file is gone/) });
    expect(await pupilNames(token, M)).toEqual([]);
    const resumed = await test.request('POST', `/municipalities/${M}/roster-imports/${run.id}/resume`, { token });
    expect(resumed.status).toBe(410);
  });
});
