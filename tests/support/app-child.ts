// A local app in a process of its own, which a test can kill (SIGKILL) at a chosen point and
// start again on the same database and Azurite: the crash-resume tests. The faults are
// injected on purpose and named by the test (ENGAGE_TEST_KILL); without one it runs plainly.
import { writeSync } from 'node:fs';
import type { PluginConfig } from '@azure/cosmos';
import type { ActivityHandler } from 'durable-functions';
import { classifyCosmosRequest } from '../../lib/data/operation-counter.js';
import { localDriverRuntime } from '../../lib/jobs/local-jobs.js';
import type { DevIssuerKeys } from '../../local/dev-issuer.js';
import { startLocalApp } from '../../local/local-app.js';

export type KillPoint =
  | { at: 'activity'; name: string; call: number }
  | { at: 'bulk-delete'; partitionIncludes: string }
  | { at: 'tombstone'; call: number }
  | { at: 'erasure-schedule' }
  | { at: 'provider-erase'; provider: string }
  /** As the `call`-th write to the audit container (one entry, or a group commit's bulk) goes out; each one held `delayMs` first (a slow write). */
  | { at: 'audit-write'; call: number; delayMs: number };

const kill = process.env.ENGAGE_TEST_KILL ? (JSON.parse(process.env.ENGAGE_TEST_KILL) as KillPoint) : undefined;

/** Says where it died (synchronously, so the line is out before the process is), then dies as a crash does. */
function die(point: string): never {
  writeSync(1, `KILLED ${point}\n`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}

let calls = 0;
const wrapActivity = (name: string, handler: ActivityHandler): ActivityHandler =>
  kill?.at === 'activity' && kill.name === name
    ? async (input, context) => ((calls += 1) === kill.call ? die(`activity ${name} #${calls}`) : handler(input, context))
    : handler;

let tombstones = 0;
let auditWrites = 0;
const killOnRequest: PluginConfig = {
  on: 'request',
  plugin: async (context, diagnostics, next) => {
    if (kill?.at === 'audit-write' && classifyCosmosRequest(context as Parameters<typeof classifyCosmosRequest>[0]) === 'write' && /\/colls\/audit(\/|$)/.test(String((context as { path?: unknown }).path))) {
      const call = (auditWrites += 1);
      await new Promise((resolve) => setTimeout(resolve, kill.delayMs));
      if (call === kill.call) die(`audit-write #${call}`);
    }
    // A tombstone is the patch that sets a subject's erasureId.
    const { operationType, body: patch } = context as { operationType?: string; body?: unknown };
    if (kill?.at === 'tombstone' && operationType === 'patch' && JSON.stringify(patch).includes('/erasureId') && (tombstones += 1) === kill.call) {
      die(`tombstone #${tombstones}`);
    }
    const body = (context as { body?: unknown }).body;
    const operations: unknown = typeof body === 'string' && body.startsWith('[') ? JSON.parse(body) : body;
    const deletes =
      kill?.at === 'bulk-delete' &&
      Array.isArray(operations) &&
      operations.some((operation: { operationType?: string; partitionKey?: unknown }) => operation.operationType === 'Delete' && JSON.stringify(operation.partitionKey).includes(kill.partitionIncludes));
    if (deletes) die('bulk-delete');
    return next(context);
  },
};

const app = await startLocalApp({
  cosmosEndpoint: process.env.COSMOS_ENDPOINT as string,
  blobEndpoint: process.env.BLOB_ENDPOINT as string,
  devKeys: JSON.parse(process.env.ENGAGE_TEST_DEV_KEYS as string) as DevIssuerKeys,
  port: 0,
  env: process.env,
  jobRuntime: localDriverRuntime({ wrapActivity }),
  ...(kill?.at === 'bulk-delete' || kill?.at === 'tombstone' || kill?.at === 'audit-write' ? { cosmosPlugins: [killOnRequest] } : {}),
});

if (kill?.at === 'erasure-schedule') {
  app.services.erasureRunner.schedule = () => die('erasure-schedule');
}
if (kill?.at === 'provider-erase') {
  const provider = app.services.privacy.all().find((candidate) => candidate.name === kill.provider);
  if (!provider) throw new Error(`no privacy provider ${kill.provider}`);
  const erase = provider.erase.bind(provider);
  // After the provider's work is done and before anything records it: the middle of a subject's erasure.
  provider.erase = async (subject) => {
    await erase(subject);
    return die(`provider-erase ${kill.provider}`);
  };
}

writeSync(1, `READY ${app.host.url}\n`);
