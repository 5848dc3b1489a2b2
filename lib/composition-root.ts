import type { TokenCredential } from '@azure/identity';
import type { JWTVerifyGetKey } from 'jose';
import type { AppConfig, OidcIssuerConfig } from './config/config.js';
import { StudentGate } from './access/student-gate.js';
import { UsageAnalytics } from './analytics/usage-analytics.js';
import { AuditLog } from './audit/audit-log.js';
import { systemClock, type Clock } from './clock.js';
import { assertCosmosResidency, createCosmosHandle, ensureDatabase } from './data/cosmos.js';
import { OperationCounter } from './data/operation-counter.js';
import { GroupStore } from './directory/groups.js';
import { SchoolStore } from './directory/schools.js';
import { auditPrivacyProvider } from './audit/audit-privacy.js';
import { groupsPrivacyProvider, nonPersonalDirectoryProvider, studentsPrivacyProvider, usersPrivacyProvider } from './directory/directory-privacy.js';
import { SettingsStore } from './directory/settings.js';
import { erasureRecordsPrivacyProvider } from './erasure/erasure-privacy.js';
import { ErasureService } from './erasure/erasure-service.js';
import { OrchestratedErasureRunner } from './erasure/orchestrated-erasure-runner.js';
import { createExportServices, exportPrivacyProviders } from './exports/export-services.js';
import { PrivacyRegistry } from './privacy/privacy-provider.js';
import { recordsPrivacyProvider } from './records/records-privacy.js';
import { StudentStore } from './directory/students.js';
import { UserDirectory } from './directory/users.js';
import type { EmailSender } from './governance/email/email-sender.js';
import { createGovernance } from './governance/governance.js';
import { governancePrivacyProviders } from './governance/governance-privacy.js';
import { checkHealth } from './health/health-check.js';
import { createTokenVerifier } from './identity/jwt-verifier.js';
import { PrincipalResolver } from './identity/principal-resolver.js';
import { createLogger, type Logger } from './logger.js';
import { MunicipalityRegistry } from './platform/municipalities.js';
import { RecordStore } from './records/record-store.js';
import { createLeaverReports } from './reports/leaver-reports.js';
import { telemetryJobSignals } from './jobs/job-signals.js';
import { SessionStore } from './sessions/session-store.js';
import { sessionsPrivacyProvider } from './sessions/sessions-privacy.js';
import type { Services } from './services.js';
import { BLOB_CONTAINERS, createBlobService, ensureBlobContainers } from './storage/blob.js';
import type { IngestionHttpClient } from './telemetry/app-insights.js';
import { createTelemetry } from './telemetry/telemetry.js';
import { createUsageServices } from './usage/usage-services.js';
import { usagePrivacyProviders } from './usage/usage-privacy.js';

export interface CompositionOptions {
  clock?: Clock;
  logger?: Logger;
  /** Overrides JWKS retrieval (tests pin keys without HTTP). */
  keysFor?: (issuer: OidcIssuerConfig) => JWTVerifyGetKey;
  /** Carries Application Insights' ingestion requests (tests record them instead of sending). */
  telemetryIngestion?: IngestionHttpClient;
  /** Replaces the email sender (tests inject send failures). */
  emailSender?: EmailSender;
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
  // Before the Azure SDK clients, so their dependency spans reach the telemetry pipeline.
  const telemetry = await createTelemetry(config, logger, options.telemetryIngestion);
  const operations = new OperationCounter();
  const credential = await managedIdentity(config);
  const cosmos = createCosmosHandle(config, operations, credential);
  const blob = createBlobService(config, credential);
  const users = new UserDirectory(cosmos.containers.directory, cosmos.containers.identities, clock);
  const settings = new SettingsStore(cosmos.containers.directory, clock, config.principalCacheSeconds * 1000);
  const students = new StudentStore(cosmos.containers.directory, clock);
  const groups = new GroupStore(cosmos.containers.directory, students, clock);
  const principals = new PrincipalResolver(users, config.platformOperators, config.principalCacheSeconds * 1000);
  const sessions = new SessionStore(cosmos.containers.sessions, clock, config.privacyDigestKey);
  const municipalities = new MunicipalityRegistry(cosmos.containers.platform, clock);
  // P4. Its generation and expiry activities run on the job driver built below; the scheduler is resolved on use.
  const leaverReports = createLeaverReports({
    containers: cosmos.containers,
    blob,
    gate: new StudentGate(students, settings),
    students,
    schools: new SchoolStore(cosmos.containers.directory, clock),
    settings,
    municipalities,
    audit: new AuditLog(cosmos.containers.audit, clock),
    signals: telemetryJobSignals(telemetry),
    scheduler: () => usage.jobs.scheduler,
    clock,
  });
  // Every module that stores personal data declares it here (tests/privacy checks the coverage).
  const privacy = new PrivacyRegistry()
    .register(nonPersonalDirectoryProvider())
    .register(studentsPrivacyProvider(cosmos.containers.directory))
    .register(usersPrivacyProvider(cosmos.containers.directory, cosmos.containers.identities, (subject) => {
      if (subject.identity) principals.forget(subject.identity);
    }))
    .register(groupsPrivacyProvider(groups))
    .register(recordsPrivacyProvider(cosmos.containers.records, config.privacyDigestKey))
    .register(leaverReports.privacy)
    .register(auditPrivacyProvider(cosmos.containers.audit, clock))
    .register(erasureRecordsPrivacyProvider(cosmos.containers.directory))
    .register(sessionsPrivacyProvider(sessions));
  for (const provider of governancePrivacyProviders(cosmos.containers)) privacy.register(provider);
  for (const provider of exportPrivacyProviders(cosmos.containers, blob)) privacy.register(provider);
  for (const provider of usagePrivacyProviders(cosmos.containers, clock)) privacy.register(provider);
  const erasures = new ErasureService(cosmos.containers.directory, privacy, config.privacyDigestKey, clock, logger, (subject) => {
    if ('identity' in subject) principals.forget(subject.identity);
  });
  const exportServices = createExportServices({ containers: cosmos.containers, blob, privacy, students, users, clock, logger, telemetry });
  const usage = await createUsageServices({ config, containers: cosmos.containers, clock, logger, telemetry, exportExpiry: exportServices.exportExpiry, leaverReports, erasures });
  return {
    config,
    clock,
    logger,
    telemetry,
    operations,
    cosmos,
    blob,
    tokens: createTokenVerifier(config.issuers, options.keysFor),
    principals,
    municipalities,
    settings,
    users,
    schools: new SchoolStore(cosmos.containers.directory, clock),
    groups,
    students,
    studentGate: new StudentGate(students, settings),
    records: new RecordStore(cosmos.containers.records, clock),
    leaverReports,
    audit: new AuditLog(cosmos.containers.audit, clock),
    privacy,
    erasures,
    erasureRunner: new OrchestratedErasureRunner(() => usage.jobs.scheduler),
    governance: createGovernance({ config, cosmos, blob, clock, logger, credential, municipalities, users, emailSender: options.emailSender }),
    ...usage,
    sessions,
    ...exportServices,
    analytics: new UsageAnalytics(cosmos.containers.usage, cosmos.containers.directory),
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
