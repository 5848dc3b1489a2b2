import { randomUUID } from 'node:crypto';
import { Agent } from 'node:https';
import { CosmosClient, type Database, type PluginConfig } from '@azure/cosmos';
import { inject } from 'vitest';
import { COSMOS_EMULATOR_KEY } from '../../local/stack.js';

/** A client of the test run's Cosmos DB emulator (its self-signed certificate accepted, here only), with SDK plugins in front of its requests. */
export function emulatorClient(plugins: PluginConfig[] = []): CosmosClient {
  return new CosmosClient({
    endpoint: inject('cosmosEndpoint'),
    key: COSMOS_EMULATOR_KEY,
    agent: new Agent({ rejectUnauthorized: false, keepAlive: true }),
    connectionPolicy: { enableEndpointDiscovery: false },
    // `plugins` is a hidden SDK option (lib/data/cosmos.ts), which cannot be an empty list.
    ...(plugins.length > 0 ? { plugins } : {}),
  } as unknown as ConstructorParameters<typeof CosmosClient>[0]);
}

/** A database of the test file's own on the emulator; the caller deletes it after its tests. */
export async function scratchDatabase(prefix: string): Promise<Database> {
  const { database } = await emulatorClient().databases.createIfNotExists({ id: `${prefix}-${randomUUID().slice(0, 8)}` });
  return database;
}
