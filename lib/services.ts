import type { BlobServiceClient } from '@azure/storage-blob';
import type { AppConfig } from './config/config.js';
import type { StudentGate } from './access/student-gate.js';
import type { AuditLog } from './audit/audit-log.js';
import type { Clock } from './clock.js';
import type { CosmosHandle } from './data/cosmos.js';
import type { OperationCounter } from './data/operation-counter.js';
import type { GroupStore } from './directory/groups.js';
import type { SchoolStore } from './directory/schools.js';
import type { SettingsStore } from './directory/settings.js';
import type { StudentStore } from './directory/students.js';
import type { UserDirectory } from './directory/users.js';
import type { HealthReport } from './health/health-check.js';
import type { TokenVerifier } from './identity/jwt-verifier.js';
import type { PrincipalResolver } from './identity/principal-resolver.js';
import type { Logger } from './logger.js';
import type { MunicipalityRegistry } from './platform/municipalities.js';
import type { RecordStore } from './records/record-store.js';

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
  schools: SchoolStore;
  groups: GroupStore;
  students: StudentStore;
  studentGate: StudentGate;
  records: RecordStore;
  audit: AuditLog;
  health(): Promise<HealthReport>;
}
