import functions from '@azure/functions';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { currentInvocation } from '../../lib/jobs/invocation-scope.js';
import { USAGE_ANONYMISATION_FUNCTIONS } from '../../lib/usage/usage-anonymisation-job.js';
import { COSMOS_EMULATOR_KEY } from '../../local/stack.js';

type Options = { schedule?: string; extraInputs?: { type: string }[]; trigger?: { type: string } };
type Hook = (context: { invocationContext: { functionName: string }; functionHandler: (...args: unknown[]) => unknown }) => void;

const registered = { http: new Map<string, Options>(), timer: new Map<string, Options>(), generic: new Map<string, Options>() };
const hooks: { preInvocation: Hook[]; appTerminate: unknown[] } = { preInvocation: [], appTerminate: [] };

afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('Azure registrations of the usage-anonymisation job', async () => {
  for (const kind of ['http', 'timer', 'generic'] as const) {
    vi.spyOn(functions.app, kind).mockImplementation(((name: string, options: Options) => void registered[kind].set(name, options)) as never);
  }
  vi.spyOn(functions.app.hook, 'preInvocation').mockImplementation(((hook: Hook) => void hooks.preInvocation.push(hook)) as never);
  vi.spyOn(functions.app.hook, 'appTerminate').mockImplementation(((hook: unknown) => void hooks.appTerminate.push(hook)) as never);
  vi.stubEnv('ENGAGE_MODE', 'local');
  vi.stubEnv('COSMOS_ENDPOINT', 'https://127.0.0.1:1');
  vi.stubEnv('COSMOS_KEY', COSMOS_EMULATOR_KEY);
  vi.stubEnv('BLOB_ENDPOINT', 'http://127.0.0.1:1/devstoreaccount1');
  vi.stubEnv('BLOB_ACCOUNT_NAME', 'devstoreaccount1');
  vi.stubEnv('BLOB_ACCOUNT_KEY', 'key');
  await import('../../functions/index.js');

  it('a daily timer (02:15 UTC) with the durable client starts the runs', () => {
    const timer = registered.timer.get('usage-anonymisation-timer');
    expect(timer?.schedule).toBe('0 15 2 * * *');
    expect(timer?.extraInputs?.map((input) => input.type)).toEqual(['durableClient']);
  });

  it('registers every orchestrator and activity under the names the local driver uses', () => {
    const F = USAGE_ANONYMISATION_FUNCTIONS;
    for (const name of [F.orchestrator, F.municipality, F.platformLogs]) expect(registered.generic.get(name)?.trigger?.type).toBe('orchestrationTrigger');
    for (const name of [F.plan, F.count, F.batch, F.sweep, F.finish]) expect(registered.generic.get(name)?.trigger?.type).toBe('activityTrigger');
  });

  it('only the job-run routes get the durable client binding, and their handlers run in its scope', async () => {
    expect(registered.http.get('start-job-run')?.extraInputs?.map((input) => input.type)).toEqual(['durableClient']);
    expect(registered.http.get('get-job-run')?.extraInputs?.map((input) => input.type)).toEqual(['durableClient']);
    expect(registered.http.get('record-usage-events')?.extraInputs).toBeUndefined();

    const invocation = { functionName: 'start-job-run' };
    const context: Parameters<Hook>[0] = { invocationContext: invocation, functionHandler: async () => currentInvocation() };
    for (const hook of hooks.preInvocation) hook(context);
    expect(await context.functionHandler(undefined, invocation)).toBe(invocation);

    const other: Parameters<Hook>[0] = { invocationContext: { functionName: 'record-usage-events' }, functionHandler: async () => currentInvocation() };
    for (const hook of hooks.preInvocation) hook(other);
    expect(await other.functionHandler()).toBeUndefined();
    expect(hooks.appTerminate).toHaveLength(1);
  });
});
