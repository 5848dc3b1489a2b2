// A bounded worker's task for tests/jobs/bounded-worker.test.ts: opens the file it is given (as a
// plan step opens its temporary files), then keeps everything it allocates until its heap runs out.
import { openSync } from 'node:fs';
import { serveTask } from '../../../lib/jobs/bounded-worker.js';

serveTask(async ({ file }: { file: string }) => {
  openSync(file, 'w');
  const kept: unknown[][] = [];
  for (;;) kept.push(Array.from({ length: 10_000 }, (_, index) => ({ index })));
});
