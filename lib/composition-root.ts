import type { TokenCredential } from '@azure/identity';
import type { JWTVerifyGetKey } from 'jose';
import type { AppConfig, OidcIssuerConfig } from './config/config.js';
import { StudentGate } from './access/student-gate.js';
import { AuditLog } from './audit/audit-log.js';
import { systemClock, type Clock } from './clock.js';
import { assertCosmosResidency, createCosmosHandle, ensureDatabase } from './data/cosmos.js';
import { OperationCounter } from './data/operation-counter.js';
import { GroupStore } from './directory/groups.js';
import { SchoolStore } from './directory/schools.js';
import { SettingsStore } from './directory/settings.js';
import { StudentStore } from './directory/students.js';
import { UserDirectory } from './directory/users.js';
import { checkHealth } from './health/health-check.js';
import { createTokenVerifier } from './identity/jwt-verifier.js';
import { PrincipalResolver } from './identity/principal-resolver.js';
import { createLogger, type Logger } from './logger.js';
import { MunicipalityRegistry } from './platform/municipalities.js';
import { RecordStore } from './records/record-store.js';
import type { Services } from './services.js';
import { BLOB_CONTAINERS, createBlobService, ensureBlobContainers } from './storage/blob.js';

export interface CompositionOptions {
  clock?: Clock;
  logger?: Logger;
  /** Overrides JWKS retrieval (tests pin keys without HTTP). */
  keysFor?: (issuer: OidcIssuerConfig) => JWTVerifyGetKey;
}

async function managedIdentity(config: AppConfig): Promise<() => TokenCredential> {
  if (config.mode === 'local') return () => { throw new Error('managed identity is not used in local mode'); };
  const { DefaultAzureCredential } = await import('@azure/identity');
  const credential = new DefaultAzureCredential(
    config.managedIdentityClientId ? { managedIdentityClientId: config.managedIdentityClientId } : {},
  );
  return () => credential;
}

/** The one place that builds clients and wires use cases. Called once per process. */
export async function createServices(config: AppConfig, options: CompositionOptions = {}): Promise<Services> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger();
  const operations = new OperationCounter();
  const credential = await managedIdentity(config);
  const cosmos = createCosmosHandle(config, operations, credential);
  const blob = createBlobService(config, credential);
  const users = new UserDirectory(cosmos.containers.directory, cosmos.containers.identities, clock);
  const settings = new SettingsStore(cosmos.containers.directory, clock, config.principalCacheSeconds * 1000);
  const students = new StudentStore(cosmos.containers.directory, clock);
  return {
    config,
    clock,
    logger,
    operations,
    cosmos,
    blob,
    tokens: createTokenVerifier(config.issuers, options.keysFor),
    principals: new PrincipalResolver(users, config.platformOperators, config.principalCacheSeconds * 1000),
    municipalities: new MunicipalityRegistry(cosmos.containers.platform, clock),
    settings,
    users,
    schools: new SchoolStore(cosmos.containers.directory, clock),
    groups: new GroupStore(cosmos.containers.directory, students, clock),
    students,
    studentGate: new StudentGate(students, settings),
    records: new RecordStore(cosmos.containers.records, clock),
    audit: new AuditLog(cosmos.containers.audit, clock),
    health: () =>
      checkHealth(
        {
          cosmos: () => cosmos.database.read(),
          blob: () => blob.getContainerClient(BLOB_CONTAINERS[0]).getProperties(),
        },
        config.version,
      ),
  };
}

/**
 * Start-up duties: local mode creates the database, containers and blob containers;
 * Azure mode refuses to serve unless every Cosmos DB location is in the EU/EEA (P15).
 */
export async function prepareServices(services: Services): Promise<void> {
  if (services.config.mode === 'local') {
    await ensureDatabase(services.cosmos);
    await ensureBlobContainers(services.blob);
    return;
  }
  const locations = await assertCosmosResidency(services.cosmos.client);
  services.logger.info('residency-check-passed', { locations: locations.join(',') });
}
