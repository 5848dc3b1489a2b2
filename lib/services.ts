import type { BlobServiceClient } from '@azure/storage-blob';
import type { AppConfig } from './config/config.js';
import type { StudentGate } from './access/student-gate.js';
import type { AuditLog } from './audit/audit-log.js';
import type { Clock } from './clock.js';
import type { CosmosHandle } from './data/cosmos.js';
import type { OperationCounter } from './data/operation-counter.js';
import type { RequestDeadlines } from './data/request-deadline.js';
import type { IdempotencyStore } from './idempotency/idempotency-store.js';
import type { RateLimiter } from './rate-limit/rate-limiter.js';
import type { GroupStore } from './directory/groups.js';
import type { SchoolStore } from './directory/schools.js';
import type { SettingsStore } from './directory/settings.js';
import type { ErasureRunner, ErasureService } from './erasure/erasure-service.js';
import type { PrivacyRegistry } from './privacy/privacy-provider.js';
import type { StudentStore } from './directory/students.js';
import type { UserDirectory } from './directory/users.js';
import type { Governance } from './governance/governance.js';
import type { HealthReport } from './health/health-check.js';
import type { TokenVerifier } from './identity/jwt-verifier.js';
import type { PrincipalResolver } from './identity/principal-resolver.js';
import type { Logger } from './logger.js';
import type { MunicipalityRegistry } from './platform/municipalities.js';
import type { RecordStore } from './records/record-store.js';
import type { LeaverReports } from './reports/leaver-reports.js';
import type { Telemetry } from './telemetry/telemetry.js';
import type { AnyRoute } from './http/route.js';
import type { JobService } from './jobs/job-service.js';
import type { RequestLog } from './usage/request-log.js';
import type { UsageAnonymiser } from './usage/usage-anonymiser.js';
import type { UsageLedger } from './usage/usage-ledger.js';
import type { UsageRecorder } from './usage/usage-recorder.js';
import type { UsageAnalytics } from './analytics/usage-analytics.js';
import type { DisclosureRegister } from './disclosures/disclosure-register.js';
import type { ExportExpiry } from './exports/export-expiry.js';
import type { ExportService } from './exports/export-service.js';
import type { SessionStore } from './sessions/session-store.js';
import type { RosterImportService } from './roster-import/roster-import-service.js';

/**
 * Everything the features build, once per process (lib/composition-root.ts). A handler or
 * timer names the few it uses (`uses`) and receives only those.
 */
export interface Services {
  config: AppConfig;
  clock: Clock;
  logger: Logger;
  /** Availability, events and metrics for Application Insights (log lines when it is not configured). */
  telemetry: Telemetry;
  operations: OperationCounter;
  deadlines: RequestDeadlines;
  /** Limits the routes declare, counted in Cosmos DB across instances. */
  rateLimits: RateLimiter;
  /** Idempotency-Key records of POSTs: the first response, replayed to a repeat. */
  idempotency: IdempotencyStore;
  cosmos: CosmosHandle;
  blob: BlobServiceClient;
  /** The account browsers upload roster zips to (public while `blob` is private); locally `blob` itself unless configured. */
  uploadBlob: BlobServiceClient;
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
  /** Leaver reports (P4): the request path, the generation and expiry work behind the job machinery. */
  leaverReports: LeaverReports;
  audit: AuditLog;
  privacy: PrivacyRegistry;
  erasures: ErasureService;
  erasureRunner: ErasureRunner;
  /** Consent, support, complaints, policy versions and their mailings (P8, P9, P17, P18). */
  governance: Governance;
  /** Usage events and devices (P6). */
  usage: UsageRecorder;
  /** The server log of every API call (P6), written off the request path by the dispatcher. */
  requestLog: RequestLog;
  /** Starts the P10 clock when an account is erased: `recordAccountDeleted`. */
  usageLedger: UsageLedger;
  usageAnonymiser: UsageAnonymiser;
  /** Job runs (timers and `/operations/jobs`), on Durable Functions or the local driver. */
  jobs: JobService;
  /** Every route the host serves, for the OpenAPI document. */
  apiRoutes: readonly AnyRoute[];
  /** Browser sessions behind the session cookie (P11). */
  sessions: SessionStore;
  /** The register of disclosures to third parties (P13). */
  disclosures: DisclosureRegister;
  /** Subject-access exports (P14) and the work of the `export-expiry` job. */
  exports: ExportService;
  exportExpiry: ExportExpiry;
  /** Aggregates of usage with small-cell suppression (P7). */
  analytics: UsageAnalytics;
  /** OneRoster 1.2 imports of schools, staff, students and groups (lib/roster-import/). */
  rosterImports: RosterImportService;
  health(): Promise<HealthReport>;
}

export type ServiceName = keyof Services;

/**
 * The services that start or read orchestrations through the job scheduler. On the
 * Functions host that needs the durable client input binding of the invocation, so every
 * function that uses one of these declares it (lib/app/function-registrations.ts); the
 * local scheduler refuses to work without it, as the real one does.
 */
export const DURABLE_CLIENT_SERVICES: readonly ServiceName[] = ['jobs', 'erasureRunner', 'leaverReports', 'rosterImports'];
