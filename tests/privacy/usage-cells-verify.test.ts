import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivacyProvider, PrivacySubject } from '../../lib/privacy/privacy-provider.js';
import { cellId, NO_SCHOOL, UsageCells } from '../../lib/usage/usage-cells.js';
import { cellsBucket } from '../../lib/usage/usage-model.js';
import { createStaffUser, registerMunicipality, startTestApp, type SeededUser, type TestApp } from '../support/test-app.js';
import { ManualClock, waitForRun } from '../usage/usage-fixtures.js';

/**
 * The usage provider's verification (P3, P10) covers the daily analytics cells: once an erased
 * account's usage is anonymised, no cell may still count it by its keyed digest, although no
 * event leads to those cells any more.
 */
const MUNICIPALITY = '0301';
const USED_ON = '2031-03-09T08:00:00.000Z';
const DELETED_AT = '2031-04-02T09:00:00.000Z';
// N = 30 days: due on 2031-05-02.
const DUE_DAY = '2031-05-02';
const clock = new ManualClock('2031-03-10T12:00:00.000Z');

let test: TestApp;
let leaver: SeededUser;
let usage: PrivacyProvider;
let subject: PrivacySubject;

beforeAll(async () => {
  test = await startTestApp({ clock, env: { USAGE_ANONYMISATION_DELAY_DAYS: '30' } });
  await registerMunicipality(test, MUNICIPALITY);
  leaver = await createStaffUser(test, MUNICIPALITY, ['teacher']);
  const events = [{ type: 'feature-use', feature: 'grades/list', at: USED_ON }, { type: 'page-view', feature: 'students', at: USED_ON }];
  const posted = await test.request('POST', '/usage/events', { token: leaver.token, body: { events } });
  if (posted.status !== 202) throw new Error(`usage events: ${posted.status} ${posted.text}`);
  usage = test.app.services.privacy.all().find((provider) => provider.name === 'usage') as PrivacyProvider;
  subject = { municipalityId: MUNICIPALITY, type: 'user', id: leaver.id };
}, 60_000);
afterAll(() => test.close());

describe('usage provider verification and the daily cells', () => {
  it('after anonymisation verify finds nothing; a cell that kept the account\'s digest (planted on purpose) is reported', async () => {
    clock.set(DELETED_AT);
    await test.app.services.usageLedger.recordAccountDeleted(MUNICIPALITY, leaver.id, new Date(DELETED_AT));
    // Scheduled: its records and the cells that count it are on their way out.
    expect(await usage.verify(subject)).toEqual([]);
    const started = await test.request<{ id: string }>('POST', '/operations/jobs/usage-anonymisation/runs', { token: await test.operatorToken(), body: { asOf: DUE_DAY } });
    expect(started.status, started.text).toBe(202);
    expect(await waitForRun(test, 'usage-anonymisation', started.body.id)).toMatchObject({ status: 'completed', processed: 1, failures: 0 });
    expect(await usage.verify(subject)).toEqual([]);

    // The leftover a lost `forget` would leave: the cell still counts the account, its events are anonymous.
    const digest = new UsageCells(test.app.services.cosmos.containers.usage, test.app.config.privacyDigestKey).personDigest(MUNICIPALITY, leaver.id);
    const day = USED_ON.slice(0, 10);
    await test.app.services.cosmos.containers.usage.item(cellId(day, 'students'), [MUNICIPALITY, cellsBucket(day)]).patch([{ op: 'set', path: `/people/${digest}`, value: [NO_SCHOOL] }]);
    const problems = await usage.verify(subject);
    expect(problems).toEqual(['daily usage cells of 1 day(s) still count the account by its digest']);
    expect(problems.join(' ')).not.toContain(leaver.id);
  });
});
