import { rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { DEV_OPERATOR_SUBJECT, loadOrCreateDevKeys } from './dev-issuer.js';
import { assertPortFree, EmulatorStack, startAzuriteForHost, startCosmosEmulator } from './stack.js';

/**
 * `npm run host-stack`: what `func start` needs beside the app, and nothing of the app
 * itself: the Cosmos DB emulator on 8081, Azurite with blob, queue and table (the host's
 * timers and Durable task hub live there, the app's blobs too), and the dev issuer's JWKS
 * on 7072 so that `npm run -s token` tokens are accepted. The real host then runs the jobs
 * and erasures through real Durable Functions (docs/operations.md).
 */
const STATE_DIRECTORY = join(process.cwd(), '.local');
const JWKS_PORT = 7072;

const emulators = new EmulatorStack((child) => `${child.name} exited unexpectedly; stopping the emulators, whose data was in memory: run npm run host-stack again.`);

try {
  await assertPortFree('dev issuer JWKS', JWKS_PORT, 'Stop what uses it.');
  await emulators.add(startCosmosEmulator(8081));
  // In memory like the Cosmos DB emulator: both start empty, so no blob outlives its index entry.
  await rm(join(STATE_DIRECTORY, 'azurite'), { recursive: true, force: true });
  await emulators.add(startAzuriteForHost('in-memory'));
  const keys = await loadOrCreateDevKeys(STATE_DIRECTORY);
  const jwks = JSON.stringify({ keys: [keys.publicJwk] });
  createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/api/dev/jwks') response.writeHead(200, { 'Content-Type': 'application/json' }).end(jwks);
    else response.writeHead(404).end();
  }).listen(JWKS_PORT, '127.0.0.1');
  console.log(`
Emulators for the Functions host: Cosmos DB https://127.0.0.1:8081, Azurite blob/queue/table 10000-10002,
dev issuer JWKS http://127.0.0.1:${JWKS_PORT}/api/dev/jwks.
  cp local.settings.example.json local.settings.json && npm run build && func start
  curl -H "Authorization: Bearer $(npm run -s token -- ${DEV_OPERATOR_SUBJECT})" http://localhost:7071/api/me
Ctrl-C stops the emulators.`);
} catch (error) {
  console.error('Could not start the emulators:', error instanceof Error ? error.message : error);
  await emulators.stop(1);
}
