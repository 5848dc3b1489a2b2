import type { BlobServiceClient } from '@azure/storage-blob';
import type { AppConfig } from './config/config.js';
import type { Clock } from './clock.js';
import type { CosmosHandle } from './data/cosmos.js';
import type { OperationCounter } from './data/operation-counter.js';
import type { SettingsStore } from './directory/settings.js';
import type { UserDirectory } from './directory/users.js';
import type { HealthReport } from './health/health-check.js';
import type { TokenVerifier } from './identity/jwt-verifier.js';
import type { PrincipalResolver } from './identity/principal-resolver.js';
import type { Logger } from './logger.js';
import type { MunicipalityRegistry } from './platform/municipalities.js';

/** Everything a handler may use, built once per process by the composition root. */
export interface Services {
  config: AppConfig;
  clock: Clock;
  logger: Logger;
  operations: OperationCounter;
  cosmos: CosmosHandle;
  blob: BlobServiceClient;
  tokens: TokenVerifier;
  principals: PrincipalResolver;
  municipalities: MunicipalityRegistry;
  settings: SettingsStore;
  users: UserDirectory;
  health(): Promise<HealthReport>;
}
