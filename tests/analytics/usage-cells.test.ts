import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageCellDocument } from '../../lib/usage/usage-model.js';
import { UsageCells } from '../../lib/usage/usage-cells.js';
import { cosmosOperations, createStaffUser, registerMunicipality, startTestApp, type SeededUser, type TestApp } from '../support/test-app.js';
import { allDocuments, ManualClock, waitForRun } from '../usage/usage-fixtures.js';

const clock = new ManualClock('2031-03-10T12:00:00.000Z');
const USED_ON = '2031-03-09T08:00:00.000Z';
const DELETED_AT = '2031-04-02T09:00:00.000Z';
// N = 30 days: due on 2031-05-02.
const DUE_DAY = '2031-05-02';
const REPORT = '/municipalities/0301/analytics/usage?from=2031-03-03&to=2031-03-10&groupBy=feature';

let test: TestApp;
let admin: SeededUser;
const staff: SeededUser[] = [];

async function use(user: SeededUser, times: number): Promise<void> {
  const events = [
    ...Array.from({ length: times }, () => ({ type: 'feature-use', feature: 'grades/list', at: USED_ON })),
    { type: 'page-view', feature: 'students', at: USED_ON },
  ];
  const response = await test.request('POST', '/usage/events', { token: user.token, body: { events } });
  if (response.status !== 202) throw new Error(`usage events: ${response.status} ${response.text}`);
}

async function cells(): Promise<UsageCellDocument[]> {
  const documents = await allDocuments<UsageCellDocument>(test.app.services.cosmos.containers.usage);
  return documents.filter((document) => document.type === 'usage-cell' && document.municipalityId === '0301');
}

beforeAll(async () => {
  test = await startTestApp({ clock, env: { USAGE_ANONYMISATION_DELAY_DAYS: '30' } });
  await registerMunicipality(test, '0301', 'Oslo');
  admin = await createStaffUser(test, '0301', ['municipality-admin']);
  for (let index = 0; index < 6; index++) staff.push(await createStaffUser(test, '0301', ['teacher']));
}, 120_000);
afterAll(() => test.close());

describe('daily usage cells (P7 at a municipality\'s scale)', () => {
  it('a report reads one index per day and one cell per feature used: ten times the events, the same reads', async () => {
    for (const user of staff) await use(user, 2);
    // The first request of a caller also reads who they are; the comparison is of the report's reads.
    await test.request('GET', REPORT, { token: admin.token });
    const before = await test.request('GET', REPORT, { token: admin.token });
    expect(before.body.cells).toEqual([
      { key: 'grades/list', suppressed: false, events: 12, people: 6 },
      { key: 'students', suppressed: false, events: 6, people: 6 },
    ]);
    for (const user of staff) await use(user, 18);
    for (const user of staff) await use(user, 0);
    const after = await test.request('GET', REPORT, { token: admin.token });
    expect(after.body.cells).toEqual([
      { key: 'grades/list', suppressed: false, events: 120, people: 6 },
      { key: 'students', suppressed: false, events: 18, people: 6 },
    ]);
    expect(cosmosOperations(after)).toEqual(cosmosOperations(before));
    // Eight days: eight index reads, two cells on the one day with usage; no query at all.
    const reads = cosmosOperations(after);
    expect(reads['partition-query']).toBe(0);
    expect(reads['cross-partition-query']).toBe(0);
    expect(await cells()).toHaveLength(2);
  });

  it('anonymising an account (P10) keeps its events counted and leaves its digest in no cell', async () => {
    const leaver = staff[0] as SeededUser;
    const digest = new UsageCells(test.app.services.cosmos.containers.usage, test.app.config.privacyDigestKey).personDigest('0301', leaver.id);
    expect((await cells()).every((cell) => cell.people[digest] !== undefined)).toBe(true);

    clock.set(DELETED_AT);
    await test.app.services.usageLedger.recordAccountDeleted('0301', leaver.id, new Date(DELETED_AT));
    const started = await test.request<{ id: string }>('POST', '/operations/jobs/usage-anonymisation/runs', { token: await test.operatorToken(), body: { asOf: DUE_DAY } });
    expect(started.status, started.text).toBe(202);
    expect(await waitForRun(test, 'usage-anonymisation', started.body.id)).toMatchObject({ status: 'completed', processed: 1, failures: 0 });

    const after = await cells();
    expect(after).toHaveLength(2);
    for (const cell of after) {
      expect(cell.people[digest]).toBeUndefined();
      expect(Object.keys(cell.people)).toHaveLength(5);
      expect(JSON.stringify(cell)).not.toContain(leaver.id);
    }
    const report = await test.request('GET', REPORT, { token: admin.token });
    expect(report.body.cells).toEqual([
      { key: 'grades/list', suppressed: false, events: 120, people: 5 },
      { key: 'students', suppressed: false, events: 18, people: 5 },
    ]);
  });
});
