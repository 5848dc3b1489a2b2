/**
 * Documents of the `usage` container (P6) and how they are partitioned.
 *
 * Partition key: [municipalityId, accountBucket]. The bucket names one account and one month
 * (`acct:<accountId>:<YYYY-MM>`), so an account's usage is found by key without touching
 * anybody else's, and one logical partition holds at most one account-month (bounded). Which
 * months an account has data in is kept in its own small partition (`acct:<accountId>:months`),
 * written before the data, so anonymisation never guesses or scans.
 *
 * Anonymised records leave the account's partitions (partition keys are immutable): they are
 * re-created under `anon:<YYYY-MM>:<shard>` with a fresh id, sharded so that no bucket grows with
 * the whole municipality's history and records of one person are not grouped together.
 *
 * Daily usage cells for analytics (P7) live under `cells:<YYYY-MM-DD>`, one partition per
 * municipality and day (lib/usage/usage-cells.ts).
 *
 * Callers who are no tenant account (platform operators, unregistered identities, anonymous
 * callers) only leave request logs, in `_platform` / `platform:<YYYY-MM-DD>`, without any
 * account link; they are deleted after a fixed retention by the same job.
 */
export const PLATFORM_TENANT = '_platform';
export const ANONYMOUS_SHARDS = 16;

export const accountBucket = (accountId: string, month: string): string => `acct:${accountId}:${month}`;
export const accountMonthsBucket = (accountId: string): string => `acct:${accountId}:months`;
export const anonymousBucket = (month: string, shard: number): string => `anon:${month}:${shard.toString(16)}`;
export const platformBucket = (day: string): string => `platform:${day}`;
export const cellsBucket = (day: string): string => `cells:${day}`;

export const USAGE_EVENT_TYPES = ['page-view', 'feature-use', 'session-start', 'session-end', 'error'] as const;
export const DEVICE_OS = ['ios', 'android', 'windows', 'macos', 'linux', 'chromeos', 'other'] as const;

/** Where a request came from, as the platform saw it. */
export interface ClientInfo {
  ip: string | undefined;
  userAgent: string | undefined;
}

interface UsageBase {
  id: string;
  municipalityId: string;
  accountBucket: string;
  /** Partition month (`YYYY-MM`), the month the server received the record. */
  month: string;
  /** Present until anonymised. */
  accountId?: string;
  anonymised?: true;
}

export interface UsageEventDocument extends UsageBase {
  type: 'usage-event';
  eventType: (typeof USAGE_EVENT_TYPES)[number];
  feature: string;
  /** When it happened on the client. */
  at: string;
  receivedAt?: string;
  deviceId?: string;
  ip?: string;
  userAgent?: string;
}

export interface DeviceRegistrationDocument extends UsageBase {
  type: 'device-registration';
  at: string;
  deviceId?: string;
  model: string;
  os?: (typeof DEVICE_OS)[number];
  osVersion: string;
  network?: string;
  phone?: string;
  ip?: string;
  userAgent?: string;
}

export interface RequestLogDocument extends UsageBase {
  type: 'request-log';
  at: string;
  actor: 'staff' | 'operator' | 'unregistered' | 'anonymous';
  method: string;
  /** The route template (`/municipalities/{municipalityId}`), never the raw URL. */
  route: string;
  status: number;
  durationMs: number;
  ip?: string;
  userAgent?: string;
}

/** Marker: this account has usage data in `month`. */
export interface UsageMonthDocument {
  id: string;
  municipalityId: string;
  accountBucket: string;
  type: 'usage-month';
  month: string;
}

export type UsageRecord = UsageEventDocument | DeviceRegistrationDocument | RequestLogDocument;

/** Usage of one feature on one day in one municipality (P7): counts, and people only as keyed digests. */
export interface UsageCellDocument {
  /** `<day>:<feature with / as :>` (lib/usage/usage-cells.ts cellId). */
  id: string;
  municipalityId: string;
  accountBucket: string;
  type: 'usage-cell';
  /** `YYYY-MM-DD`, UTC, of the events' client time. */
  day: string;
  feature: string;
  events: number;
  /** Events per school of the person at the time (`no-school` for staff without one); a person at two schools counts at both. */
  schoolEvents: Record<string, number>;
  /** Keyed digest of each account counted here -> its schools; removed when the account's usage is anonymised (P10). */
  people: Record<string, string[]>;
}

/** Which features have a cell on a day: found by id, so a report never queries. */
export interface UsageCellIndexDocument {
  /** `features:<day>`. */
  id: string;
  municipalityId: string;
  accountBucket: string;
  type: 'usage-cell-index';
  day: string;
  /** featureKey -> feature. */
  features: Record<string, string>;
}
