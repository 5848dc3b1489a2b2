// Child process of `npm run bench -- peer`: the app on its local host, alone in its process
// so that its CPU time (/proc/<pid>/stat) is its own. Prints `READY <url>` once it serves.
import { writeSync } from 'node:fs';
import type { DevIssuerKeys } from '../../local/dev-issuer.js';
import { startLocalApp } from '../../local/local-app.js';

const app = await startLocalApp({
  cosmosEndpoint: process.env.COSMOS_ENDPOINT as string,
  blobEndpoint: process.env.BLOB_ENDPOINT as string,
  devKeys: JSON.parse(process.env.ENGAGE_BENCH_DEV_KEYS as string) as DevIssuerKeys,
  port: 0,
  env: process.env,
});
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
writeSync(1, `READY ${app.host.url}\n`);
