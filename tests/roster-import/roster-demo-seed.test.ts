import type { ActivityHandler } from 'durable-functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDriverRuntime } from '../../lib/jobs/local-jobs.js';
import { rosterBlobs } from '../../lib/roster-import/roster-uploads.js';
import { DEMO_MUNICIPALITY, seedDemoData } from '../../local/demo-seed.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Fault injection: before the plan step runs, the municipality's uploads are deleted (as the lifecycle rule or an erasure does). */
let test: TestApp;
const wrapActivity = (name: string, handler: ActivityHandler): ActivityHandler => async (input, context) => {
  if (name === 'roster-import-plan') {
    const uploads = rosterBlobs(test.app.services.blob);
    for await (const blob of uploads.listBlobsFlat({ prefix: `${DEMO_MUNICIPALITY}/uploads/` })) await uploads.deleteBlob(blob.name);
  }
  return handler(input, context);
};

describe('the demo seed follows its roster import to any final status (fault injected: the upload deleted before the plan)', () => {
  beforeAll(async () => {
    test = await startTestApp({ composition: { jobRuntime: localDriverRuntime({ wrapActivity }) } });
  }, 60_000);

  afterAll(async () => {
    await test?.close();
  });

  it('stops at an expired run and says so, instead of polling it until its 5-minute timeout', async () => {
    await expect(seedDemoData(test.app.services, { url: test.url, keys: test.keys })).rejects.toThrow(/The demo roster import \S+ expired: The uploaded file is gone/);
  }, 30_000);
});
