import { randomUUID } from 'node:crypto';
import type { PluginConfig } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StaffPrincipal } from '../../lib/access/scopes.js';
import { USAGE_ANONYMISATION_FUNCTIONS } from '../../lib/usage/usage-anonymisation-job.js';
import { registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { allDocuments, containersWith, jobHarness, ManualClock, type JobHarness } from '../usage/usage-fixtures.js';

const JOB = 'usage-anonymisation';
const MARCH = '2031-03-10T12:00:00.000Z';
const DELETED_AT = '2031-04-02T09:00:00.000Z';
const DUE_DAY = '2031-05-02';

const clock = new ManualClock(MARCH);
let test: TestApp;

type Doc = Record<string, unknown> & { id: string; municipalityId: string; accountBucket: string };

beforeAll(async () => {
  test = await startTestApp({ clock, env: { USAGE_ANONYMISATION_DELAY_DAYS: '30' } });
});
afterAll(() => test.close());

const staff = (municipalityId: string, userId: string): StaffPrincipal => ({
  kind: 'staff',
  identity: { issuer: 'https://issuer.invalid', subject: userId },
  userId,
  municipalityId,
  roles: ['teacher'],
  schoolIds: [],
});

/** Deleted accounts with `events` usage events each, and one live account beside them. */
async function seed(municipalityId: string, accounts: number, events: number): Promise<{ deleted: string[]; live: string }> {
  clock.set(MARCH);
  await registerMunicipality(test, municipalityId);
  const deleted = Array.from({ length: accounts }, () => randomUUID());
  const live = randomUUID();
  for (const accountId of [...deleted, live]) {
    const batch = Array.from({ length: events }, (_, index) => ({
      type: 'feature-use' as const,
      feature: `feature-${index % 7}`,
      at: MARCH,
      deviceId: `device-${accountId}`,
    }));
    await test.app.services.usage.recordEvents(staff(municipalityId, accountId), batch, { ip: '198.51.100.23', userAgent: 'EngageApp/3.1' });
  }
  clock.set(DELETED_AT);
  for (const accountId of deleted) await test.app.services.usageLedger.recordAccountDeleted(municipalityId, accountId, new Date(DELETED_AT));
  return { deleted, live };
}

async function tenantDocs(municipalityId: string): Promise<Doc[]> {
  return (await allDocuments<Doc>(test.app.services.cosmos.containers.usage)).filter((doc) => doc.municipalityId === municipalityId);
}

/** Everything left of one deleted account, anywhere in the usage and ledger containers. */
async function traces(accountId: string): Promise<number> {
  const all = [...(await allDocuments(test.app.services.cosmos.containers.usage)), ...(await allDocuments(test.app.services.cosmos.containers.ledger))];
  return all.filter((doc) => JSON.stringify(doc).includes(accountId)).length;
}

async function runToEnd(harness: JobHarness): Promise<Awaited<ReturnType<JobHarness['jobs']['getRun']>>> {
  const id = await harness.jobs.startRun(JOB, { asOf: DUE_DAY }, 'operator');
  const status = await harness.driver.waitForCompletion(id, 120_000);
  expect(status.error).toBeUndefined();
  return harness.jobs.getRun(JOB, id);
}

function expectConsistent(before: Doc[], after: Doc[], deleted: readonly string[], live: string): void {
  const originals = before.filter((doc) => deleted.some((id) => doc.accountBucket === `acct:${id}:2031-03`));
  const twins = after.filter((doc) => doc.anonymised === true);
  // Every record became exactly one twin: none lost, none twice.
  expect(twins).toHaveLength(originals.length);
  expect(new Set(twins.map((doc) => doc.id)).size).toBe(twins.length);
  expect(after.filter((doc) => deleted.some((id) => doc.accountBucket.startsWith(`acct:${id}:`)))).toEqual([]);
  const liveOf = (docs: Doc[]) => docs.filter((doc) => doc.accountBucket.startsWith(`acct:${live}:`));
  expect(liveOf(after)).toEqual(liveOf(before));
}

describe('usage-anonymisation under faults', () => {
  it('fault injection: the process dies between batches; a new process resumes and finishes, complete and consistent', async () => {
    const { deleted, live } = await seed('1101', 4, 100);
    const before = await tenantDocs('1101');
    let batches = 0;
    const crashing = jobHarness({
      config: test.app.config,
      containers: containersWith(test.app.config),
      clock,
      anonymiser: { recordsPerBatch: 7 },
      // Injected crash: the 4th batch never runs and never returns, as if the host died there.
      wrapActivity: (name, handler) =>
        name === USAGE_ANONYMISATION_FUNCTIONS.batch
          ? async (input, context) => ((batches += 1) === 4 ? new Promise<never>(() => undefined) : handler(input, context))
          : handler,
    });
    void crashing.jobs.startRun(JOB, { asOf: DUE_DAY }, 'operator');
    await vi.waitFor(() => expect(batches).toBe(4), { timeout: 30_000 });
    const partial = await tenantDocs('1101');
    expect(partial.filter((doc) => doc.anonymised === true)).toHaveLength(21);

    const resumed = jobHarness({ config: test.app.config, containers: containersWith(test.app.config), clock, anonymiser: { recordsPerBatch: 7 } });
    const run = await runToEnd(resumed);
    expect(run).toMatchObject({ status: 'completed', failures: 0, remaining: 0 });
    // `records` counts the work this run did: a record the dead process had already twinned
    // but not deleted is finished again and counted. The consistency checks below are exact.
    expect(run.records).toBeGreaterThanOrEqual(400 - 21);
    expect(run.records).toBeLessThanOrEqual(400 - 21 + 7);
    expectConsistent(before, await tenantDocs('1101'), deleted, live);
    for (const accountId of deleted) expect(await traces(accountId)).toBe(0);
    // ~55 batches: the municipality's orchestration continued as new rather than growing one history.
    const municipality = resumed.driver.listInstances().find((instance) => instance.name === USAGE_ANONYMISATION_FUNCTIONS.municipality);
    expect(municipality?.executionCount).toBeGreaterThanOrEqual(3);
  });

  it('fault injection: the process dies after creating twins and before deleting the originals; the resumed run makes no duplicates', async () => {
    const { deleted, live } = await seed('1102', 2, 30);
    const before = await tenantDocs('1102');
    let armed = true;
    // Injected crash: the first bulk delete of account records hangs forever, after its twins were created.
    const hangOnDelete: PluginConfig = {
      on: 'request',
      plugin: async (context, diagnostics, next) => {
        // A bulk request's body is its operations, already serialised.
        const body = (context as { body?: unknown }).body;
        const operations: unknown = typeof body === 'string' && body.startsWith('[') ? JSON.parse(body) : body;
        const deletesAccountRecords =
          Array.isArray(operations) && operations.some((operation: { operationType?: string; partitionKey?: unknown }) =>
            operation.operationType === 'Delete' && JSON.stringify(operation.partitionKey).includes('acct:'));
        if (armed && deletesAccountRecords) {
          armed = false;
          return new Promise<never>(() => undefined);
        }
        return next(context);
      },
    };
    const crashing = jobHarness({ config: test.app.config, containers: containersWith(test.app.config, [hangOnDelete]), clock });
    void crashing.jobs.startRun(JOB, { asOf: DUE_DAY }, 'operator');
    await vi.waitFor(() => expect(armed).toBe(false), { timeout: 30_000 });
    await vi.waitFor(async () => expect((await tenantDocs('1102')).filter((doc) => doc.anonymised === true).length).toBeGreaterThan(0));
    const midway = await tenantDocs('1102');
    // Both twin and original exist for the records of the interrupted page.
    expect(midway.length).toBeGreaterThan(before.length);

    const resumed = jobHarness({ config: test.app.config, containers: containersWith(test.app.config), clock });
    const run = await runToEnd(resumed);
    expect(run).toMatchObject({ status: 'completed', failures: 0, remaining: 0, processed: 2 });
    expectConsistent(before, await tenantDocs('1102'), deleted, live);
    for (const accountId of deleted) expect(await traces(accountId)).toBe(0);
  });

  it('fault injection: Cosmos answers 429 and 503 (injected) on many requests; the job retries and finishes', async () => {
    const { deleted, live } = await seed('1103', 3, 50);
    const before = await tenantDocs('1103');
    const injected = { 429: 0, 503: 0 };
    let requests = 0;
    const flaky: PluginConfig = {
      on: 'request',
      plugin: async (context, diagnostics, next) => {
        const { resourceType, operationType } = context as { resourceType?: string; operationType?: string };
        if (resourceType === 'docs') {
          requests += 1;
          // Bounded, like a real burst of throttling or an outage: a retry policy must outlast it, not beat the odds.
          if (requests % 5 === 0 && injected[429] < 60) {
            injected[429] += 1;
            throw Object.assign(new Error('injected throttling'), { code: 429, retryAfterInMs: 5, headers: {} });
          }
          if (requests % 11 === 0 && operationType !== 'query' && injected[503] < 10) {
            injected[503] += 1;
            throw Object.assign(new Error('injected unavailability'), { code: 503, headers: {} });
          }
        }
        return next(context);
      },
    };
    const harness = jobHarness({ config: test.app.config, containers: containersWith(test.app.config, [flaky]), clock, anonymiser: { recordsPerBatch: 20 } });
    const run = await runToEnd(harness);
    expect(run).toMatchObject({ status: 'completed', failures: 0, remaining: 0, processed: 3 });
    // Batches that failed midway and were retried count their work at most once.
    expect(run.records).toBeGreaterThan(0);
    expect(run.records).toBeLessThanOrEqual(150);
    expect(injected[429]).toBeGreaterThan(5);
    expect(injected[503]).toBeGreaterThan(2);
    // Some failures reached the orchestrator and were retried as durable retries.
    const retried = harness.driver.listInstances().flatMap((instance) => harness.driver.getHistory(instance.instanceId)).filter((event) => event.eventType === 'TaskFailed');
    expect(retried.length).toBeGreaterThan(0);
    expectConsistent(before, await tenantDocs('1103'), deleted, live);
  });
});
