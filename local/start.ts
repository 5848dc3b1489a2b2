import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../lib/config/config.js';
import { loadLocalStackConfig } from '../lib/config/local-stack-config.js';
import { loadOrCreateDevKeys } from './dev-issuer.js';
import { describeSeed, seedDemoData } from './demo-seed.js';
import { localEnvironment, startLocalApp } from './local-app.js';
import { startBanner } from './start-banner.js';
import { assertPortFree, azuriteEndpoint, cosmosEmulatorEndpoint, EmulatorStack, PortInUseError, startAzurite, startCosmosEmulator } from './stack.js';

const STATE_DIRECTORY = join(process.cwd(), '.local');
/** Where Azurite kept blobs before npm start ran it in memory: blobs there may belong to erased people. */
const FORMER_AZURITE_DIRECTORY = join(STATE_DIRECTORY, 'azurite');

async function main(): Promise<void> {
  const emulators = new EmulatorStack((child) => `${child.name} exited unexpectedly; stopping the stack, whose data was in memory with it: run npm start again to begin afresh.`);

  try {
    // Every setting is checked before anything starts, so a typo costs no emulator start.
    const { settings } = loadLocalStackConfig(process.env, (stack) =>
      localEnvironment({
        cosmosEndpoint: stack.cosmosEndpoint ?? cosmosEmulatorEndpoint(stack.cosmosEmulatorPort),
        blobEndpoint: stack.blobEndpoint ?? azuriteEndpoint(stack.azuritePort),
        env: process.env,
      }));
    const port = settings.port;
    await assertPortFree('API host', port, 'Set PORT to use another port.');
    // One lifecycle: the emulators npm start runs itself both keep their data in memory, so every
    // start begins empty and nothing erased can come back from a snapshot older than the erasure.
    // Emulators of your own (both endpoints set) keep what they keep, Cosmos and blobs alike.
    let cosmosEndpoint = settings.cosmosEndpoint;
    let blobEndpoint = settings.blobEndpoint;
    if (cosmosEndpoint === undefined || blobEndpoint === undefined) {
      await rm(FORMER_AZURITE_DIRECTORY, { recursive: true, force: true });
      cosmosEndpoint = (await emulators.add(startCosmosEmulator(settings.cosmosEmulatorPort))).endpoint;
      blobEndpoint = (await emulators.add(startAzurite(settings.azuritePort, 'in-memory'))).endpoint;
    }
    const devKeys = await loadOrCreateDevKeys(STATE_DIRECTORY);
    const app = await startLocalApp({ cosmosEndpoint, blobEndpoint, devKeys, port, env: process.env });
    const seed = describeSeed(await seedDemoData(app.services, { url: app.host.url, keys: devKeys }));
    console.log(startBanner({ api: app.host.url, cosmosEndpoint, blobEndpoint, ownEmulators: emulators.size > 0, seed }));
  } catch (error) {
    if (error instanceof PortInUseError || error instanceof ConfigError) console.error(error.message);
    else console.error('Could not start the local stack:', error instanceof Error ? error.message : error);
    await emulators.stop(1);
  }
}

void main();
