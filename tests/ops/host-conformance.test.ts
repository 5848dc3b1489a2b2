import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type * as DurableFunctions from 'durable-functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableClientNeeds, functionManifest } from '../../lib/app/function-manifest.js';
import { CATCH_ALL_FUNCTION, featuresByName, functionRegistrations } from '../../lib/app/function-registrations.js';
import { checkHostRules, HOST_RULES, type FunctionMetadata, type HostRuleContext } from '../../lib/app/host-rules.js';
import { FEATURES } from '../../lib/features.js';
import { HostRouter } from '../../lib/http/router.js';
import { COSMOS_EMULATOR_KEY } from '../../local/stack.js';
import { bundleEntry } from '../../scripts/bundle-entry.js';
import type { Services } from '../../lib/services.js';

/**
 * The real registrations of the built entry (bundled as `npm run build` bundles it, loaded as
 * the host loads it, with app.http/app.timer/app.generic recorded) against the rules of the real
 * Functions host (lib/app/host-rules.ts, docs/operations.md). Each rule is also shown to
 * fail on a test-only registration that breaks it.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);
const df = createRequire(import.meta.url)('durable-functions') as typeof DurableFunctions;
// What each feature declares its functions use, against what the built entry registers from its manifest.
const context: HostRuleContext = { needsDurableClient: durableClientNeeds(FEATURES) };
const outDir = join(root, '.cache', `host-conformance-${randomUUID().slice(0, 8)}`);
let registered: FunctionMetadata[];

async function registrationsOfBuiltEntry(): Promise<FunctionMetadata[]> {
  await bundleEntry(join(outDir, 'functions'));
  const settings = JSON.parse(await readFile(join(root, 'local.settings.example.json'), 'utf8')) as { Values: Record<string, string> };
  const recorder = pathToFileURL(join(root, 'tests', 'ops', 'support', 'record-registrations.mjs')).href;
  const entry = pathToFileURL(join(outDir, 'functions', 'index.js')).href;
  const { stdout } = await run(process.execPath, ['--import', recorder, '--input-type=module', '-e', `await import(${JSON.stringify(entry)});`], {
    cwd: root,
    env: { ...process.env, ...settings.Values },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout.slice(stdout.lastIndexOf('REGISTRATIONS ') + 'REGISTRATIONS '.length)) as FunctionMetadata[];
}

const http = (name: string, route: string | undefined, methods = ['GET'], extra: Partial<FunctionMetadata['trigger']> = {}): FunctionMetadata => ({
  name,
  trigger: { type: 'httpTrigger', methods, ...(route === undefined ? {} : { route }), authLevel: 'anonymous', ...extra },
  extraInputs: [],
});
const byName = (name: string) => registered.find((fn) => fn.name === name) as FunctionMetadata;

beforeAll(async () => {
  registered = await registrationsOfBuiltEntry();
}, 180_000);
afterAll(() => rm(outDir, { recursive: true, force: true }));

describe('the built entry conforms to the real Functions host', () => {
  it('registers every route, timer, orchestrator and activity of every feature, and nothing the host would refuse', () => {
    const expected = functionRegistrations(functionManifest(FEATURES), featuresByName(FEATURES), () => Promise.resolve({} as Services)).map((fn) => fn.name);
    expect(registered.map((fn) => fn.name).sort()).toEqual([...expected].sort());
    expect(registered.length).toBeGreaterThan(100);
    expect(checkHostRules(registered, context)).toEqual([]);
  });

  it('never the dev issuer (it exists on the local host only)', () => {
    const routes = registered.map((fn) => fn.trigger.route);
    expect(routes).not.toContain('dev/token');
    expect(routes).not.toContain('dev/jwks');
  });

  it('defect 1: no route in the space the host reserves; the job runs live under operations/', () => {
    expect(byName('start-job-run').trigger.route).toBe('operations/jobs/{job}/runs');
    expect(byName('get-job-run').trigger.route).toBe('operations/jobs/{job}/runs/{id}');
    expect(registered.filter((fn) => fn.trigger.type === 'httpTrigger' && /^\/?(admin|runtime)/i.test(fn.trigger.route ?? fn.name))).toEqual([]);
  });

  it('defect 2: in the host\'s own route order every route reaches its function, and the catch-all comes last', () => {
    const router = new HostRouter(
      registered.filter((fn) => fn.trigger.type === 'httpTrigger').map((fn) => ({ name: fn.name, methods: fn.trigger.methods ?? [], route: fn.trigger.route ?? fn.name })),
    );
    for (const fn of registered.filter((candidate) => candidate.trigger.type === 'httpTrigger' && candidate.name !== CATCH_ALL_FUNCTION)) {
      // A concrete path for the template: every parameter becomes a plausible id.
      const path = `/${(fn.trigger.route ?? '').replace(/\{[^}]+\}/g, '1234')}`;
      for (const method of fn.trigger.methods ?? []) expect(router.match(method, path)?.function.name, `${method} ${path}`).toBe(fn.name);
    }
    expect(router.match('GET', '/no/such/route')?.function.name).toBe(CATCH_ALL_FUNCTION);
  });

  it('defect 3: every function whose handler may start or read an orchestration declares the durable client, the erasure routes included', () => {
    for (const name of ['erase-student', 'erase-user', 'create-erasure', 'start-job-run', 'get-job-run', 'create-leaver-reports', 'get-leaver-report-run', 'usage-anonymisation-timer']) {
      expect(byName(name).extraInputs.map((input) => input.type), name).toEqual([df.input.durableClient().type]);
    }
    // And only those: the binding needs WEBSITE_HOSTNAME, so a plain route stays without it.
    expect(byName('get-student').extraInputs).toEqual([]);
    expect(byName('health').extraInputs).toEqual([]);
  });

  it('orchestrators and activities carry exactly the triggers durable-functions declares', () => {
    const durable = registered.filter((fn) => fn.trigger.type === 'orchestrationTrigger' || fn.trigger.type === 'activityTrigger');
    expect(durable.length).toBeGreaterThan(20);
    expect(byName('erasure').trigger.type).toBe(df.trigger.orchestration().type);
    expect(byName('erasure-batch').trigger.type).toBe(df.trigger.activity().type);
    for (const fn of durable) expect(fn.extraInputs, fn.name).toEqual([]);
  });
});

describe('the bundled entry runs from its lazy chunks', () => {
  it('an unknown route gets the catch-all\'s 404 problem; health loads its feature, the handler code, the services and the SDKs, and answers 503 while the stores are unreachable', async () => {
    const capture = pathToFileURL(join(root, 'tests', 'ops', 'support', 'capture-handlers.mjs')).href;
    const entry = pathToFileURL(join(outDir, 'functions', 'index.js')).href;
    const probe = `
      const { HttpRequest, InvocationContext } = (await import('@azure/functions')).default;
      await import(${JSON.stringify(entry)});
      const call = async (name, path) => {
        const response = await globalThis.capturedHandlers.get(name)(
          new HttpRequest({ method: 'GET', url: 'http://localhost/api' + path, headers: {}, params: {}, query: {} }),
          new InvocationContext({ functionName: name, invocationId: crypto.randomUUID() }),
        );
        return { status: response.status, type: JSON.parse(response.body).type };
      };
      const answers = [await call(${JSON.stringify(CATCH_ALL_FUNCTION)}, '/no/such/route'), await call('health', '/health')];
      process.stdout.write('\\nANSWERS ' + JSON.stringify(answers) + '\\n');
      process.exit(0);`;
    const { stdout } = await run(process.execPath, ['--import', capture, '--input-type=module', '-e', probe], {
      cwd: root,
      env: { ...process.env, ENGAGE_MODE: 'local', COSMOS_ENDPOINT: 'https://127.0.0.1:1', COSMOS_KEY: COSMOS_EMULATOR_KEY, BLOB_ENDPOINT: 'http://127.0.0.1:1/devstoreaccount1', BLOB_ACCOUNT_NAME: 'devstoreaccount1', BLOB_ACCOUNT_KEY: 'key' },
      maxBuffer: 16 * 1024 * 1024,
    });
    const answers = JSON.parse(stdout.slice(stdout.lastIndexOf('ANSWERS ') + 'ANSWERS '.length)) as { status: number; type: string }[];
    expect(answers).toEqual([
      { status: 404, type: 'urn:engage:problem:not-found' },
      { status: 503, type: 'urn:engage:problem:unavailable' },
    ]);
  }, 120_000);
});

describe('each host rule fails on a registration that breaks it', () => {
  const adding = (...bad: FunctionMetadata[]) => (functions: FunctionMetadata[]) => [...functions, ...bad];
  /** Each rule: the real registrations changed so that they break it. */
  const breaking: Record<string, (functions: FunctionMetadata[]) => FunctionMetadata[]> = {
    'function-name': adding(http('1-starts-with-a-digit', 'fine/one'), http('has space', 'fine/two')),
    'unique-name': adding(http('HEALTH', 'health-again')),
    'reserved-route': adding(http('start-job-run-old', 'admin/jobs/{job}/runs', ['POST']), http('runtimeStatus', undefined), http('api-admin', '/Administration/x')),
    'route-syntax': adding(http('empty-segment', 'a//b'), http('catch-all-midway', '{*rest}/tail'), http('mixed-case', 'Municipalities/{id}'), http('same-param', 'a/{id}/b/{id}')),
    'unique-route': adding(http('health-twin', 'health')),
    // The catch-all under the name it had: it sorts before update-* and usage-analytics.
    'route-order': adding(http('unmatched-route', '{*path}', ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])),
    // The erasure route as it was registered before: same function, no binding.
    'durable-client-input': (functions) => functions.map((fn) => (fn.name === 'erase-student' ? { ...fn, extraInputs: [] } : fn)),
    'durable-trigger-shape': adding({ name: 'orchestration-with-input', trigger: { type: 'orchestrationTrigger' }, extraInputs: [{ type: 'durableClient' }] }),
    'timer-schedule': adding({ name: 'five-fields', trigger: { type: 'timerTrigger', schedule: '*/5 * * * *' }, extraInputs: [] }),
    'anonymous-http': adding(http('keyed', 'keyed/route', ['GET'], { authLevel: 'function' })),
  };
  const violationsOf = (rule: string) => checkHostRules(breaking[rule]!(registered), context).filter((violation) => violation.rule === rule);

  it('covers every rule, and docs/operations.md writes each one down', async () => {
    expect(Object.keys(breaking).sort()).toEqual(HOST_RULES.map((rule) => rule.id).sort());
    const operations = await readFile(join(root, 'docs', 'operations.md'), 'utf8');
    for (const rule of HOST_RULES) expect(operations, rule.id).toContain(`| \`${rule.id}\` |`);
  });

  for (const rule of HOST_RULES) {
    it(`${rule.id}: ${rule.hostBehaviour.slice(0, 90)}…`, () => {
      expect(violationsOf(rule.id).length).toBeGreaterThan(0);
    });
  }

  it('the broken registrations are the ones reported', () => {
    expect(violationsOf('reserved-route').map((v) => v.functionName).sort()).toEqual(['api-admin', 'runtimeStatus', 'start-job-run-old']);
    expect(violationsOf('route-syntax').map((v) => v.functionName).sort()).toEqual(['catch-all-midway', 'empty-segment', 'mixed-case', 'same-param']);
    expect(violationsOf('durable-client-input').map((v) => v.functionName)).toEqual(['erase-student']);
  });

  it('route-order with the old catch-all name finds the functions the real host shadowed: the update-* routes and usage analytics', () => {
    const shadowed = violationsOf('route-order').map((violation) => violation.functionName);
    const sortsAfterOldName = registered
      .filter((fn) => fn.trigger.type === 'httpTrigger' && fn.name.toUpperCase() > 'UNMATCHED-ROUTE')
      .map((fn) => fn.name);
    // Ten routes, as on the real host, and the new catch-all behind the old one.
    expect(shadowed.sort()).toEqual(sortsAfterOldName.sort());
    expect(shadowed.filter((name) => name !== CATCH_ALL_FUNCTION)).toHaveLength(10);
    expect(shadowed).toEqual(expect.arrayContaining(['update-student', 'update-group', 'update-school', 'update-user', 'update-settings', 'update-grade', 'usage-analytics']));
  });
});
