import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { PluginConfig } from '@azure/cosmos';
import type { ActivityHandler } from 'durable-functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM_TENANT } from '../../lib/usage/usage-model.js';
import { asDurableClientFunction } from '../../local/invocation.js';
import { registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { allDocuments, containersWith, jobHarness, ManualClock, staffPrincipal, type JobHarness } from '../usage/usage-fixtures.js';

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
    await test.app.services.usage.recordEvents(staffPrincipal(municipalityId, accountId), batch, { ip: '198.51.100.23', userAgent: 'EngageApp/3.1' });
  }
  clock.set(DELETED_AT);
  for (const accountId of deleted) await test.app.services.usageLedger.recordAccountDeleted(municipalityId, accountId, new Date(DELETED_AT));
  return { deleted, live };
}

async function tenantDocs(municipalityId: string): Promise<Doc[]> {
  return (await allDocuments<Doc>(test.app.services.cosmos.containers.usage)).filter((doc) => doc.municipalityId === municipalityId);
}

async function runToEnd(harness: JobHarness): Promise<Awaited<ReturnType<JobHarness['jobs']['getRun']>>> {
  const id = await harness.jobs.startRun(JOB, { asOf: DUE_DAY }, 'operator');
  const status = await harness.driver.waitForCompletion(id, 120_000);
  expect(status.error).toBeUndefined();
  // Read through the app's own client: the result must not depend on the faults injected into the job's.
  return asDurableClientFunction(() => test.app.services.jobs.getRun(JOB, id));
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

// Crashes (a process killed between batches, or between writing twins and deleting originals) are in
// tests/jobs/crash-resume.test.ts, with real processes.
describe('usage-anonymisation under faults', () => {
  it('fault injection: Cosmos answers 429 and 503 (injected) on many requests; the job retries and finishes', async () => {
    const { deleted, live } = await seed('1103', 3, 50);
    const before = await tenantDocs('1103');
    // The run also removes expired request logs of the operator's calls (registering the tenant): they count as records too.
    await test.app.services.requestLog.flush();
    const platformLogs = (await allDocuments<Doc>(test.app.services.cosmos.containers.usage)).filter((doc) => doc.municipalityId === PLATFORM_TENANT).length;
    const injected = { 429: 0, 503: 0 };
    let requests = 0;
    // An attempt right after a failed one of the same activity in the same orchestration gets
    // no faults: every activity fails at most once in a row, so the run completes every time
    // (the outage is shorter than the retry policy), while failures still reach the orchestrator.
    const faultFree = new AsyncLocalStorage<boolean>();
    const justFailed = new Set<string>();
    const wrapActivity = (name: string, handler: ActivityHandler): ActivityHandler => async (input, context) => {
      const key = `${String(context.triggerMetadata?.instanceId)}/${name}`;
      const retrying = justFailed.delete(key);
      try {
        return await faultFree.run(retrying, () => handler(input, context));
      } catch (error) {
        justFailed.add(key);
        throw error;
      }
    };
    const flaky: PluginConfig = {
      on: 'request',
      plugin: async (context, diagnostics, next) => {
        const { resourceType, operationType } = context as { resourceType?: string; operationType?: string };
        if (resourceType === 'docs' && faultFree.getStore() !== true) {
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
    const harness = jobHarness({ config: test.app.config, containers: containersWith(test.app.config, [flaky]), clock, anonymiser: { recordsPerBatch: 20 }, wrapActivity });
    const run = await runToEnd(harness);
    expect(run).toMatchObject({ status: 'completed', failures: 0, remaining: 0, processed: 3 });
    // Batches that failed midway and were retried count their work at most once.
    expect(run.records).toBeGreaterThan(0);
    expect(run.records).toBeLessThanOrEqual(150 + platformLogs);
    expect(injected[429]).toBeGreaterThan(5);
    expect(injected[503]).toBeGreaterThan(2);
    // Some failures reached the orchestrator and were retried as durable retries.
    const retried = harness.driver.listInstances().flatMap((instance) => harness.driver.getHistory(instance.instanceId)).filter((event) => event.eventType === 'TaskFailed');
    expect(retried.length).toBeGreaterThan(0);
    expectConsistent(before, await tenantDocs('1103'), deleted, live);
  });
});
