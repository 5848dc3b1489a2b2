// A bounded worker's task for tests/jobs/bounded-worker.test.ts: throws as an Azure SDK call does.
import { serveTask } from '../../../lib/jobs/bounded-worker.js';

serveTask(async () => {
  throw Object.assign(new Error('The server is busy.'), { name: 'RestError', statusCode: 503, code: 'ServerBusy' });
});
