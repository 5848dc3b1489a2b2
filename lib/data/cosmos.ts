import { Agent } from 'node:https';
import { CosmosClient, PartitionKeyKind, type Container, type Database, type PluginConfig } from '@azure/cosmos';
import type { TokenCredential } from '@azure/identity';
import type { AppConfig } from '../config/config.js';
import { isEuEeaRegion } from '../config/eu-regions.js';
import { CONTAINERS, indexingPolicyOf, type ContainerName } from './containers.js';
import { classifyCosmosRequest, type OperationCounter } from './operation-counter.js';
import type { RequestDeadlines } from './request-deadline.js';

export type Containers = Record<ContainerName, Container>;

export interface CosmosHandle {
  client: CosmosClient;
  database: Database;
  containers: Containers;
}

function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '::1' || host === '[::1]';
}

export function createCosmosHandle(
  config: AppConfig,
  counter: OperationCounter,
  credential: () => TokenCredential,
  deadlines: RequestDeadlines,
  /** More SDK request plugins after the counter (tests inject faults). */
  extraPlugins: readonly PluginConfig[] = [],
): CosmosHandle {
  const countingPlugin: PluginConfig = {
    on: 'request',
    plugin: async (context, diagnosticNode, next) => {
      counter.record(classifyCosmosRequest(context as Parameters<typeof classifyCosmosRequest>[0]));
      return next(context);
    },
  };
  const local = config.mode === 'local';
  // The emulator's certificate is self-signed; trusting it is confined to local mode on loopback.
  const agent = local && isLoopback(config.cosmos.endpoint) ? new Agent({ rejectUnauthorized: false, keepAlive: true }) : undefined;
  const client = new CosmosClient({
    endpoint: config.cosmos.endpoint,
    ...(local ? { key: config.cosmos.key ?? '' } : { aadCredentials: credential() }),
    ...(agent ? { agent } : {}),
    connectionPolicy: {
      preferredLocations: config.cosmos.preferredRegions,
      // The emulator advertises only itself; endpoint discovery would only add metadata calls.
      enableEndpointDiscovery: !local,
    },
    // `plugins` is a hidden SDK option: the only hook that sees every network request by kind.
    plugins: [deadlines.plugin(), countingPlugin, ...extraPlugins],
  } as unknown as ConstructorParameters<typeof CosmosClient>[0]);
  const database = client.database(config.cosmos.database);
  const containers = Object.fromEntries(
    Object.entries(CONTAINERS).map(([name, definition]) => [name, database.container(definition.id)]),
  ) as Containers;
  return { client, database, containers };
}

/** Local mode only: in Azure the database and containers are deployed by infra/. */
export async function ensureDatabase(handle: CosmosHandle): Promise<void> {
  const { database } = await handle.client.databases.createIfNotExists({ id: handle.database.id });
  await Promise.all(
    Object.values(CONTAINERS).map((definition) =>
      database.containers.createIfNotExists({
        id: definition.id,
        partitionKey: {
          paths: [...definition.partitionKeyPaths],
          ...(definition.partitionKeyPaths.length > 1 ? { kind: PartitionKeyKind.MultiHash, version: 2 } : {}),
        },
        indexingPolicy: indexingPolicyOf(definition),
        ...('defaultTtl' in definition ? { defaultTtl: definition.defaultTtl } : {}),
      }),
    ),
  );
}

export class ResidencyError extends Error {
  constructor(readonly outside: string[]) {
    super(`Cosmos DB account has locations outside the EU/EEA (P15): ${outside.join(', ')}. Refusing to serve.`);
    this.name = 'ResidencyError';
  }
}

/** P15: every read and write location of the account must be inside the EU/EEA. */
export async function assertCosmosResidency(client: CosmosClient): Promise<string[]> {
  const { resource } = await client.getDatabaseAccount();
  if (!resource) throw new ResidencyError(['(account locations unavailable)']);
  const names = [...resource.readableLocations, ...resource.writableLocations].map((location) => location.name);
  const outside = [...new Set(names.filter((name) => !isEuEeaRegion(name)))];
  if (outside.length > 0) throw new ResidencyError(outside);
  return [...new Set(names)];
}
