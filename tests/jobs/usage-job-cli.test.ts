import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureJobs } from '../../lib/app/feature.js';
import { FEATURES } from '../../lib/features.js';
import { parseJobCommand, progressLine, runJob } from '../../local/run-job.js';
import { registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { ManualClock } from '../usage/usage-fixtures.js';

const clock = new ManualClock('2031-04-02T09:00:00.000Z');
let test: TestApp;

beforeAll(async () => {
  test = await startTestApp({ clock });
  await registerMunicipality(test, '0301');
  await test.app.services.usageLedger.recordAccountDeleted('0301', 'a8c5e0f2-0000-4000-8000-000000000001', clock.now());
});
afterAll(() => test.close());

describe('npm run job (local/run-job.ts)', () => {
  it('starts a run on the local host and follows it to the end with a progress bar', async () => {
    const output: string[] = [];
    const run = await runJob({
      baseUrl: test.url,
      token: await test.operatorToken(),
      job: 'usage-anonymisation',
      asOf: '2031-05-02',
      pollMs: 20,
      write: (text) => output.push(text),
    });
    expect(run).toMatchObject({ status: 'completed', processed: 1, remaining: 0, asOf: '2031-05-02T00:00:00.000Z' });
    const text = output.join('');
    expect(text).toMatch(/^usage-anonymisation run [0-9a-f-]{36} as of 2031-05-02\n/);
    expect(text).toContain('[##############################] 100% 1/1 deleted account, 0 records, 0 failures (completed)');
  });

  it('a dry run with nothing due completes at once', async () => {
    const output: string[] = [];
    const run = await runJob({ baseUrl: test.url, token: await test.operatorToken(), job: 'usage-anonymisation', dryRun: true, pollMs: 20, write: (text) => output.push(text) });
    expect(run).toMatchObject({ status: 'completed', dryRun: true, processed: 0, remaining: 0 });
    expect(output.join('')).toContain('(dry run)');
    expect(output.join('')).toContain('dry run completed: would process 0 deleted accounts; nothing was changed');
  });

  it('a completed dry run says what it would do, in the job\'s unit, and draws no 0% bar', async () => {
    await test.app.services.usageLedger.recordAccountDeleted('0301', 'a8c5e0f2-0000-4000-8000-000000000002', clock.now());
    await test.app.services.usageLedger.recordAccountDeleted('0301', 'a8c5e0f2-0000-4000-8000-000000000003', clock.now());
    const output: string[] = [];
    const run = await runJob({ baseUrl: test.url, token: await test.operatorToken(), job: 'usage-anonymisation', asOf: '2031-06-02', dryRun: true, pollMs: 20, write: (text) => output.push(text) });
    expect(run).toMatchObject({ status: 'completed', dryRun: true, processed: 0, remaining: 2 });
    const text = output.join('');
    expect(text).toContain('dry run completed: would process 2 deleted accounts; nothing was changed (run without --dry-run to do it)');
    expect(text).not.toMatch(/\[-+\] 0%/);
  });

  it('reports the problem when the host refuses', async () => {
    const call = (job: string, token: string, asOf?: string) =>
      runJob({ baseUrl: test.url, token, job, asOf, write: () => undefined });
    await expect(call('no-such-job', await test.operatorToken())).rejects.toThrow(/^404 Not found/);
    await expect(call('usage-anonymisation', await test.token('someone')) ).rejects.toThrow(/^403/);
    // Names the flag the user typed, not the request's field.
    await expect(call('usage-anonymisation', await test.operatorToken(), 'next week')).rejects.toThrow(/\n {2}--as-of: /);
  });

  it('a mistyped job lists the valid ones; a bad --as-of names the flag and YYYY-MM-DD', () => {
    const typo = parseJobCommand(['usage-anonymization']);
    expect(typo.kind).toBe('refused');
    const jobs = featureJobs(FEATURES).map((job) => job.name);
    expect(jobs).toContain('usage-anonymisation');
    expect(typo.kind === 'refused' && typo.message.split('\n')[0]).toBe(`no job "usage-anonymization"; the jobs are: ${jobs.join(', ')}`);
    for (const asOf of ['01.01.2027', '2027-1-1', '2027-02-30', 'tomorrow', '9999-99-99']) {
      expect(parseJobCommand(['export-expiry', '--as-of', asOf])).toEqual({ kind: 'refused', message: '--as-of must be a date written YYYY-MM-DD, e.g. --as-of 2027-01-01' });
    }
    expect(parseJobCommand(['export-expiry', '--as-of', '2027-01-01', '--dry-run'])).toEqual({ kind: 'run', job: 'export-expiry', asOf: '2027-01-01', dryRun: true, url: undefined });
    const unknownFlag = parseJobCommand(['export-expiry', '--asof', '2027-01-01']);
    expect(unknownFlag.kind === 'refused' && unknownFlag.message).toMatch(/--asof[\s\S]*usage: npm run job --/);
  });

  it('draws the bar from what the job counts, processed and remaining, in the job\'s own unit', () => {
    const run = {
      id: 'x', job: 'usage-anonymisation', status: 'running', trigger: 'operator', dryRun: false, asOf: '', processed: 1, remaining: 3,
      records: 10, failures: 0, overdue: null, createdAt: '', startedAt: null, finishedAt: null,
    } as const;
    expect(progressLine(run)).toBe('[########----------------------] 25% 1/4 deleted accounts, 10 records, 0 failures (running)');
    expect(progressLine({ ...run, job: 'export-expiry' })).toContain('1/4 exports');
    expect(progressLine({ ...run, job: 'leaver-report-expiry' })).toContain('1/4 reports');
  });
});
