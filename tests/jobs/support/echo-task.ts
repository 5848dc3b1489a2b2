// A bounded worker's task for tests/jobs/bounded-worker.test.ts: answers with its input and where it ran.
import { isMainThread } from 'node:worker_threads';
import { serveTask } from '../../../lib/jobs/bounded-worker.js';

serveTask(async (input: unknown) => ({ echoed: input, inMainThread: isMainThread }));
