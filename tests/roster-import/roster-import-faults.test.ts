import type { ActivityHandler } from 'durable-functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDriverRuntime } from '../../lib/jobs/local-jobs.js';
import { RosterArchive } from '../../lib/roster-import/roster-archive.js';
import { readColumns } from '../../lib/roster-import/roster-files.js';
import { rosterBlobs } from '../../lib/roster-import/roster-uploads.js';
import { allItems, bootstrapAdminToken, registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { follow, importRoster, rosterFiles, upload, zip, type Person, type RosterSet } from './oneroster-fixture.js';

const M = '5001';

/** 250 pupils in one school: three batches of writes. */
function largeSet(): RosterSet {
  const people: Person[] = Array.from({ length: 250 }, (_, index) => ({
    sourcedId: `s-${index}`,
    givenName: `Elev${index}`,
    familyName: 'Trondheim',
    role: 'student' as const,
    school: 'sch-1',
    grade: '07',
    birthDate: '2014-05-05',
  }));
  return { municipalityId: M, schools: [{ sourcedId: 'sch-1', name: 'Lademoen skole', organisationNumber: '974500001' }], people, classes: [], enrollments: [] };
}

/** Fault injection: the plan step waits while `hold` is set; the apply step fails for every batch past the first while `failApply` is set. */
const faults = { hold: undefined as Promise<void> | undefined, failApply: false };

const wrapActivity = (name: string, handler: ActivityHandler): ActivityHandler => async (input, context) => {
  if (name === 'roster-import-plan' && faults.hold) await faults.hold;
  if (name === 'roster-import-apply' && faults.failApply && (input as { batch: number }).batch >= 1) throw new Error('injected storage outage');
  return handler(input, context);
};

describe('roster import under faults (fault injected into the import activities)', () => {
  let test: TestApp;
  let admin: string;

  beforeAll(async () => {
    test = await startTestApp({ composition: { jobRuntime: localDriverRuntime({ wrapActivity }) } });
    await registerMunicipality(test, M);
    admin = await bootstrapAdminToken(test, M);
  }, 60_000);

  afterAll(async () => {
    await test?.close();
  });

  it('refuses a second import for the same municipality while one runs (409), and takes one again after it', async () => {
    let release = () => {};
    faults.hold = new Promise((resolve) => (release = resolve));
    const file = zip(rosterFiles({ ...largeSet(), people: largeSet().people.slice(0, 3) }));
    const first = await test.request('POST', `/municipalities/${M}/roster-imports`, { token: admin, body: { blob: await upload(test, admin, M, file), mode: 'bulk', dryRun: true } });
    expect(first.status).toBe(202);
    const second = await test.request('POST', `/municipalities/${M}/roster-imports`, { token: admin, body: { blob: await upload(test, admin, M, file), mode: 'bulk', dryRun: true } });
    expect(second.status).toBe(409);
    expect(second.body.type).toMatch(/conflict/);
    release();
    faults.hold = undefined;
    expect((await follow(test, admin, first.headers.get('location') ?? '')).status).toBe('completed');
    const third = await importRoster(test, admin, M, file, { dryRun: true });
    expect(third.status).toBe('completed');
  });

  it('an import that fails halfway resumes where it stopped, ends with exactly the roster, and leaves no planned batch behind', async () => {
    faults.failApply = true;
    const file = zip(rosterFiles(largeSet()));
    const failed = await importRoster(test, admin, M, file);
    expect(failed).toMatchObject({ status: 'failed', batches: 3, appliedBatches: 1 });
    expect(failed.failure).toMatch(/resume/);
    const partial = await allItems<{ givenName: string }>(test, `/municipalities/${M}/students?limit=100`, admin);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(250);

    faults.failApply = false;
    const resumed = await test.request('POST', `/municipalities/${M}/roster-imports/${failed.id}/resume`, { token: admin });
    expect(resumed.status).toBe(202);
    const done = await follow(test, admin, resumed.headers.get('location') ?? '');
    expect(done).toMatchObject({ status: 'completed', batches: 3, appliedBatches: 3, failedWrites: 0 });
    const all = await allItems<{ givenName: string }>(test, `/municipalities/${M}/students?limit=100`, admin);
    expect(new Set(all.map((student) => student.givenName)).size).toBe(250);
    expect(all).toHaveLength(250);
    // The planned batches hold personal data: none is left once the run completes.
    const left: string[] = [];
    for await (const blob of rosterBlobs(test.app.services.blob).listBlobsFlat({ prefix: `${M}/runs/${failed.id}/` })) left.push(blob.name);
    expect(left).toEqual([]);

    const again = await importRoster(test, admin, M, file);
    expect(again.operations.writes).toBe(0);
    const resumeCompleted = await test.request('POST', `/municipalities/${M}/roster-imports/${failed.id}/resume`, { token: admin });
    expect(resumeCompleted.status).toBe(409);
  });

  it('parses demographics.csv into rows that hold only the sourcedId, the birth date and the row\'s own status and date (P19: other columns are never read)', async () => {
    const blob = await upload(test, admin, M, zip(rosterFiles(largeSet())));
    const client = rosterBlobs(test.app.services.blob).getBlobClient(blob);
    const { archive } = await RosterArchive.openUpload(client);
    try {
      const keys = new Set<string>();
      for await (const { record } of archive.rows('demographics.csv', (header) => readColumns('demographics', header))) for (const key of Object.keys(record)) keys.add(key);
      expect([...keys].sort()).toEqual(['birthDate', 'dateLastModified', 'sourcedId', 'status']);
    } finally {
      archive.close();
    }
  });
});

describe('roster import started by a request', () => {
  it("runs to the end after the request's deadline has passed (the orchestration does not inherit it; its plan step is held past the deadline on purpose)", async () => {
    // Long enough for setup and each request on a loaded machine; the hold, not the machine, makes the run outlast it.
    const deadlineMs = 5_000;
    const test = await startTestApp({ env: { REQUEST_DEADLINE_MS: String(deadlineMs) }, composition: { jobRuntime: localDriverRuntime({ wrapActivity }) } });
    let release = () => {};
    try {
      await registerMunicipality(test, M);
      const admin = await bootstrapAdminToken(test, M);
      const blob = await upload(test, admin, M, zip(rosterFiles(largeSet())));
      faults.hold = new Promise((resolve) => (release = resolve));
      const started = performance.now();
      const response = await test.request('POST', `/municipalities/${M}/roster-imports`, { token: admin, body: { blob, mode: 'bulk', dryRun: false } });
      expect(response.status, response.text).toBe(202);
      setTimeout(release, deadlineMs + 500 - (performance.now() - started));
      const run = await follow(test, admin, response.headers.get('location') ?? '');
      expect(performance.now() - started).toBeGreaterThan(deadlineMs);
      expect(run).toMatchObject({ status: 'completed', appliedBatches: 3 });
    } finally {
      release();
      faults.hold = undefined;
      await test.close();
    }
  }, 120_000);
});
