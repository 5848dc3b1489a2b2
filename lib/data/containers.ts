import type { IndexingPolicy } from '@azure/cosmos';

export interface ContainerDefinition {
  id: string;
  partitionKeyPaths: readonly string[];
  /** Paths the queries filter or sort on; everything else is left out of the index. */
  indexedPaths: readonly string[];
  /** What lives here, for the data-design docs and the privacy-provider registry test. */
  documentTypes: readonly string[];
  /** -1: time-to-live on, per document (`ttl`): Cosmos DB deletes the documents; the local emulator does not. */
  defaultTtl?: number;
}

/**
 * The Cosmos DB design (docs/data-design.md explains the sizing). Keep in step with the
 * container list in infra/app/cosmos.bicep.
 */
export const CONTAINERS = {
  platform: {
    id: 'platform',
    partitionKeyPaths: ['/pk'],
    // `municipalityId`: an erasure's name sweep reads one municipality's complaints; `updatedAt`: complaint retention.
    indexedPaths: ['/pk/?', '/type/?', '/createdAt/?', '/status/?', '/followUpBy/?', '/municipalityId/?', '/updatedAt/?'],
    documentTypes: ['municipality', 'policy-version', 'complaint', 'complaint-index', 'mailing', 'consent-index-entry'],
  },
  identities: {
    id: 'identities',
    partitionKeyPaths: ['/id'],
    indexedPaths: [],
    documentTypes: ['identity'],
  },
  directory: {
    id: 'directory',
    partitionKeyPaths: ['/municipalityId'],
    indexedPaths: [
      '/type/?', '/schoolId/?', '/schoolIds/[]/?', '/teacherIds/[]/?', '/studentIds/[]/?', '/status/?', '/createdAt/?',
      // Erasure: tombstones, repeat detection by digest, ids still to tombstone, leavers by date, the instructing admin.
      '/erasureId/?', '/subjectDigests/[]/?', '/tombstonesPending/[]/?', '/leftAt/?', '/requestedBy/?',
    ],
    documentTypes: ['settings', 'school', 'group', 'user', 'student', 'erasure', 'bootstrap', 'data-admins', 'roster-import', 'roster-import-lock'],
  },
  records: {
    id: 'records',
    partitionKeyPaths: ['/municipalityId', '/studentId'],
    // `authorId`: erasing a staff user removes their authorship of records.
    indexedPaths: ['/type/?', '/createdAt/?', '/authorId/?'],
    documentTypes: ['assessment', 'evaluation', 'grade'],
  },
  audit: {
    id: 'audit',
    partitionKeyPaths: ['/municipalityId', '/month'],
    indexedPaths: ['/targetIds/[]/?', '/at/?', '/actorId/?', '/actorRole/?'],
    documentTypes: ['audit-entry'],
  },
  consents: {
    id: 'consents',
    partitionKeyPaths: ['/municipalityId', '/userId'],
    indexedPaths: ['/type/?'],
    documentTypes: ['consent', 'policy-acceptances'],
  },
  support: {
    id: 'support',
    partitionKeyPaths: ['/pk'],
    // `municipalityId`: an erasure's name sweep reads one municipality's threads; `updatedAt`: thread retention.
    indexedPaths: ['/type/?', '/createdAt/?', '/municipalityId/?', '/updatedAt/?'],
    documentTypes: ['support-request', 'support-request-ref'],
  },
  outbox: {
    id: 'outbox',
    partitionKeyPaths: ['/pk'],
    indexedPaths: ['/type/?', '/status/?', '/claimedAt/?'],
    documentTypes: ['email'],
  },
  usage: {
    id: 'usage',
    // accountBucket = acct:<accountId>:<YYYY-MM> | acct:<accountId>:months | anon:<YYYY-MM>:<shard> | platform:<YYYY-MM-DD> | cells:<YYYY-MM-DD> (lib/usage/usage-model.ts)
    partitionKeyPaths: ['/municipalityId', '/accountBucket'],
    indexedPaths: ['/type/?', '/at/?'],
    documentTypes: ['usage-event', 'device-registration', 'request-log', 'usage-month', 'usage-cell', 'usage-cell-index'],
  },
  ledger: {
    id: 'ledger',
    // pk = usage-due:<municipalityId>:<YYYY-MM-DD> | usage-open (lib/usage/usage-ledger.ts)
    partitionKeyPaths: ['/pk'],
    indexedPaths: ['/type/?', '/municipalityId/?', '/day/?', '/deadline/?'],
    documentTypes: ['usage-due', 'usage-open-day'],
  },
  jobs: {
    id: 'jobs',
    // pk = run:<runId> | cursor (lib/jobs/job-runs.ts) | erasure-outbox (lib/erasure/erasure-outbox.ts)
    partitionKeyPaths: ['/pk'],
    indexedPaths: ['/type/?', '/status/?', '/dueAt/?', '/createdAt/?'],
    documentTypes: ['job-run', 'job-progress', 'job-cursor', 'erasure-outbox'],
  },
  reports: {
    id: 'reports',
    // Leaver report index entries and generation runs (lib/reports/report-index.ts).
    partitionKeyPaths: ['/municipalityId'],
    indexedPaths: ['/type/?', '/schoolId/?', '/schoolYear/?', '/studentId/?', '/studentIds/[]/?', '/runId/?', '/requestedBy/?', '/state/?', '/createdAt/?', '/expiresAt/?'],
    documentTypes: ['leaver-report', 'leaver-report-run'],
  },
  exports: {
    id: 'exports',
    // Exports and disclosures per municipality; `_expiry` holds the expiry index (lib/exports/export-model.ts).
    partitionKeyPaths: ['/municipalityId'],
    indexedPaths: ['/type/?', '/createdAt/?', '/expiresAt/?', '/subjectId/?', '/subjectIds/[]/?'],
    documentTypes: ['export', 'export-due', 'disclosure'],
  },
  sessions: {
    id: 'sessions',
    // id = sha256(cookie) for a session, `person.<keyed digest>` for a person's index (lib/sessions/session-store.ts).
    partitionKeyPaths: ['/id'],
    indexedPaths: [],
    documentTypes: ['session', 'session-index'],
    defaultTtl: -1,
  },
  rateLimits: {
    id: 'rate-limits',
    // pk = <limit>:<keyed digest of the caller> | platform:<limit>; id = the window (lib/rate-limit/rate-limiter.ts).
    partitionKeyPaths: ['/pk'],
    indexedPaths: [],
    documentTypes: ['rate-counter'],
    defaultTtl: -1,
  },
  idempotency: {
    id: 'idempotency',
    // pk = keyed digest of the caller; `mentions` lets erasure find stored responses naming a person.
    partitionKeyPaths: ['/pk'],
    indexedPaths: ['/pk/?', '/mentions/[]/?'],
    documentTypes: ['idempotency-record'],
    defaultTtl: -1,
  },
} as const satisfies Record<string, ContainerDefinition>;

export type ContainerName = keyof typeof CONTAINERS;

export function indexingPolicyOf(definition: ContainerDefinition): IndexingPolicy {
  return {
    indexingMode: 'consistent',
    automatic: true,
    includedPaths: definition.indexedPaths.map((path) => ({ path })),
    excludedPaths: [{ path: '/*' }, { path: '/"_etag"/?' }],
  };
}
