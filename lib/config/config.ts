import { z } from 'zod';
import { COMPLAINT_RETENTION_MONTHS, SUPPORT_RETENTION_MONTHS } from '../governance/retention-policy.js';
import { isEuEeaRegion } from './eu-regions.js';
import {
  DEFAULT_ANONYMISATION_DELAY_DAYS,
  DEFAULT_PLATFORM_LOG_RETENTION_DAYS,
  MAX_ANONYMISATION_DELAY_DAYS,
} from '../usage/retention-policy.js';

const csv = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

const jsonArray = <T extends z.ZodType>(item: T) =>
  z
    .string()
    .optional()
    .transform((value, ctx): z.infer<T>[] => {
      if (value === undefined || value.trim() === '') return [];
      try {
        const parsed: unknown = JSON.parse(value);
        const result = z.array(item).safeParse(parsed);
        if (result.success) return result.data;
        for (const issue of result.error.issues) {
          ctx.addIssue({ code: 'custom', message: `${issue.path.join('.') || '(root)'}: ${issue.message}` });
        }
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array' });
      }
      return z.NEVER;
    });

const issuerSchema = z.strictObject({
  issuer: z.string().url(),
  audience: z.string().min(1),
  jwksUri: z.string().url(),
  algorithms: z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'])).optional(),
});

const rateLimitOverrides = z
  .string()
  .optional()
  .transform((value, ctx): Record<string, { quota: number; windowSeconds: number }> => {
    if (value === undefined || value.trim() === '') return {};
    try {
      const result = z
        .record(z.string().regex(/^[a-z][a-z0-9-]{0,62}$/), z.strictObject({ quota: z.number().int().min(1).max(1_000_000), windowSeconds: z.number().int().min(1).max(7 * 24 * 3600) }))
        .safeParse(JSON.parse(value));
      if (result.success) return result.data;
      ctx.addIssue({ code: 'custom', message: 'must map limit names to {"quota": n, "windowSeconds": s}' });
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
    }
    return z.NEVER;
  });

const operatorSchema = z.strictObject({ issuer: z.string().url(), subject: z.string().min(1) });

const regionList = csv.superRefine((regions, ctx) => {
  for (const region of regions) {
    if (!isEuEeaRegion(region)) {
      ctx.addIssue({ code: 'custom', message: `region "${region}" is not an EU/EEA region (P15)` });
    }
  }
});

/** `Authorization=AAD` or `Authorization=AAD;ClientId=<client id>`, the format the Functions host reads too. */
const appInsightsAuthentication = z
  .string()
  .optional()
  .transform((value, ctx): { clientId: string | undefined } | undefined => {
    if (value === undefined || value.trim() === '') return undefined;
    const match = /^Authorization=AAD(?:;ClientId=([0-9a-f-]{36}))?$/i.exec(value.trim());
    if (match) return { clientId: match[1] };
    ctx.addIssue({ code: 'custom', message: 'must be "Authorization=AAD" or "Authorization=AAD;ClientId=<client id>"' });
    return z.NEVER;
  });

const envSchema = z
  .object({
    ENGAGE_MODE: z.enum(['local', 'azure']),
    APP_VERSION: z.string().default('0.0.0-dev'),
    AZURE_REGION: z
      .string()
      .optional()
      .refine((region) => region === undefined || isEuEeaRegion(region), 'is not an EU/EEA region (P15)'),
    COSMOS_ENDPOINT: z.string().url(),
    COSMOS_KEY: z.string().optional(),
    COSMOS_DATABASE: z.string().regex(/^[A-Za-z0-9-]{1,64}$/).default('engage'),
    COSMOS_PREFERRED_REGIONS: regionList,
    BLOB_ENDPOINT: z.string().url(),
    BLOB_ACCOUNT_NAME: z.string().optional(),
    BLOB_ACCOUNT_KEY: z.string().optional(),
    // The account browsers PUT roster zips to (infra/app/upload-storage.bicep): public while the main account is private.
    ROSTER_UPLOAD_BLOB_ENDPOINT: z.string().url().optional(),
    AZURE_CLIENT_ID: z.string().optional(),
    OIDC_ISSUERS: jsonArray(issuerSchema),
    PLATFORM_OPERATORS: jsonArray(operatorSchema),
    CORS_ALLOWED_ORIGINS: csv.pipe(z.array(z.string().url())),
    MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(10 * 1024 * 1024).default(1024 * 1024),
    PRINCIPAL_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
    PRIVACY_DIGEST_KEY: z
      .string()
      .min(32, 'must be at least 32 characters')
      // App Service passes an unresolved Key Vault reference through as text; keying digests with it would be silent damage.
      .refine((value) => !value.startsWith('@Microsoft.KeyVault('), 'is an unresolved Key Vault reference (check the identity and role)')
      .optional(),
    APPLICATIONINSIGHTS_CONNECTION_STRING: z
      .string()
      .optional()
      .refine((value) => !value || /(?:^|;)\s*InstrumentationKey=[0-9a-f-]{36}/i.test(value), 'must be an Application Insights connection string (InstrumentationKey=...;IngestionEndpoint=...)'),
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: appInsightsAuthentication,
    // P10: the upper bound keeps "within 3 months" true (lib/usage/retention-policy.ts).
    USAGE_ANONYMISATION_DELAY_DAYS: z.coerce.number().int().min(1).max(MAX_ANONYMISATION_DELAY_DAYS).default(DEFAULT_ANONYMISATION_DELAY_DAYS),
    PLATFORM_REQUEST_LOG_RETENTION_DAYS: z.coerce.number().int().min(1).max(MAX_ANONYMISATION_DELAY_DAYS).default(DEFAULT_PLATFORM_LOG_RETENTION_DAYS),
    // Records anonymised per activity call: longer activities, fewer calls; each is idempotent either way.
    USAGE_ANONYMISATION_BATCH_RECORDS: z.coerce.number().int().min(1).max(5_000).default(1_000),
    // An erasure not completed this long after it was accepted is overdue: flagged on its record and alerted.
    ERASURE_OVERDUE_HOURS: z.coerce.number().int().min(1).max(24 * 7).default(24),
    // Support threads and closed complaints are deleted this many months on (lib/governance/retention-policy.ts).
    SUPPORT_RETENTION_MONTHS: z.coerce.number().int().min(SUPPORT_RETENTION_MONTHS.min).max(SUPPORT_RETENTION_MONTHS.max).default(SUPPORT_RETENTION_MONTHS.default),
    COMPLAINT_RETENTION_MONTHS: z.coerce.number().int().min(COMPLAINT_RETENTION_MONTHS.min).max(COMPLAINT_RETENTION_MONTHS.max).default(COMPLAINT_RETENTION_MONTHS.default),
    // A request's database calls are cut after this long and it answers 503: a stalled database must not hold callers.
    // How many X-Forwarded-For hops at the end are our own proxies: 1 behind the API Management gateway (lib/usage/client-info.ts).
    TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(3).default(0),
    REQUEST_DEADLINE_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    // Overrides of the declared rate limits by name, e.g. {"complaint-intake":{"quota":5,"windowSeconds":3600}}.
    RATE_LIMITS: rateLimitOverrides,
    // Roster import: which OneRoster userIds type holds a staff member's login, and the token issuer it belongs to.
    ROSTER_IDENTITY_TYPE: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default('Feide'),
    ROSTER_IDENTITY_ISSUER: z.string().url().default('https://auth.dataporten.no'),
  })
  .superRefine((env, ctx) => {
    if (env.ENGAGE_MODE === 'local') {
      for (const name of ['COSMOS_KEY', 'BLOB_ACCOUNT_NAME', 'BLOB_ACCOUNT_KEY'] as const) {
        if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'is required in local mode' });
      }
    } else {
      for (const name of ['COSMOS_KEY', 'BLOB_ACCOUNT_KEY'] as const) {
        if (env[name]) {
          ctx.addIssue({ code: 'custom', path: [name], message: 'must not be set in azure mode: use managed identity' });
        }
      }
      if (!env.ROSTER_UPLOAD_BLOB_ENDPOINT) {
        ctx.addIssue({ code: 'custom', path: ['ROSTER_UPLOAD_BLOB_ENDPOINT'], message: 'is required in azure mode (the roster upload account)' });
      }
      if (!env.AZURE_REGION) ctx.addIssue({ code: 'custom', path: ['AZURE_REGION'], message: 'is required in azure mode' });
      if (!env.PRIVACY_DIGEST_KEY) {
        ctx.addIssue({ code: 'custom', path: ['PRIVACY_DIGEST_KEY'], message: 'is required in azure mode (a Key Vault reference)' });
      }
      if (env.OIDC_ISSUERS.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['OIDC_ISSUERS'], message: 'needs at least one issuer in azure mode' });
      }
    }
  });

export type OidcIssuerConfig = z.infer<typeof issuerSchema>;
export type OperatorIdentity = z.infer<typeof operatorSchema>;

export interface AppConfig {
  mode: 'local' | 'azure';
  version: string;
  region: string | undefined;
  cosmos: {
    endpoint: string;
    key: string | undefined;
    database: string;
    preferredRegions: string[];
  };
  /** `rosterUploadEndpoint`: the account browsers upload roster zips to; locally the same account unless set. */
  blob: { endpoint: string; rosterUploadEndpoint: string; accountName: string | undefined; accountKey: string | undefined };
  managedIdentityClientId: string | undefined;
  issuers: OidcIssuerConfig[];
  platformOperators: OperatorIdentity[];
  corsAllowedOrigins: string[];
  maxBodyBytes: number;
  principalCacheSeconds: number;
  /** Key of the keyed digests that recognise erased subjects and anonymised records without naming them. */
  privacyDigestKey: string;
  appInsightsConnectionString: string | undefined;
  /** Entra ID auth for telemetry (managed identity; `clientId` picks a user-assigned one). */
  appInsightsAuthentication: { clientId: string | undefined } | undefined;
  usage: { anonymisationDelayDays: number; platformLogRetentionDays: number; recordsPerBatch: number };
  erasure: { overdueAfterHours: number };
  /** Months a support thread is kept after its last message, and a complaint after it closed. */
  retention: { supportThreadMonths: number; complaintMonths: number };
  requestDeadlineMs: number;
  trustedProxyHops: number;
  /** Per-name overrides of the rate limits the routes declare (lib/rate-limit/rate-limit-policy.ts). */
  rateLimitOverrides: Record<string, { quota: number; windowSeconds: number }>;
  /** The login identity of imported staff: the userIds type and its issuer (lib/roster-import/). */
  rosterIdentity: { type: string; issuer: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration; refusing to start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** One line per bad variable and reason, sorted, naming the variable and never its value. */
export function problemLines(error: z.ZodError): string[] {
  const problems = error.issues.map((issue) => `${String(issue.path[0] ?? 'environment')}: ${issue.message}`);
  return [...new Set(problems)].sort();
}

/**
 * Validates the whole environment at once so that one start-up failure lists every
 * bad variable. Values are never echoed: some of them are secrets.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const result = envSchema.safeParse(env);
  if (!result.success) throw new ConfigError(problemLines(result.error));
  const e = result.data;
  return {
    mode: e.ENGAGE_MODE,
    version: e.APP_VERSION,
    region: e.AZURE_REGION,
    cosmos: {
      endpoint: e.COSMOS_ENDPOINT,
      key: e.COSMOS_KEY,
      database: e.COSMOS_DATABASE,
      preferredRegions: e.COSMOS_PREFERRED_REGIONS,
    },
    blob: { endpoint: e.BLOB_ENDPOINT, rosterUploadEndpoint: e.ROSTER_UPLOAD_BLOB_ENDPOINT ?? e.BLOB_ENDPOINT, accountName: e.BLOB_ACCOUNT_NAME, accountKey: e.BLOB_ACCOUNT_KEY },
    managedIdentityClientId: e.AZURE_CLIENT_ID,
    issuers: e.OIDC_ISSUERS,
    platformOperators: e.PLATFORM_OPERATORS,
    corsAllowedOrigins: e.CORS_ALLOWED_ORIGINS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    principalCacheSeconds: e.PRINCIPAL_CACHE_SECONDS,
    // Local mode only: a fixed key is harmless where the data is made up.
    privacyDigestKey: e.PRIVACY_DIGEST_KEY ?? 'local-development-digest-key-not-for-production',
    appInsightsConnectionString: e.APPLICATIONINSIGHTS_CONNECTION_STRING,
    appInsightsAuthentication: e.APPLICATIONINSIGHTS_AUTHENTICATION_STRING,
    usage: {
      anonymisationDelayDays: e.USAGE_ANONYMISATION_DELAY_DAYS,
      platformLogRetentionDays: e.PLATFORM_REQUEST_LOG_RETENTION_DAYS,
      recordsPerBatch: e.USAGE_ANONYMISATION_BATCH_RECORDS,
    },
    erasure: { overdueAfterHours: e.ERASURE_OVERDUE_HOURS },
    retention: { supportThreadMonths: e.SUPPORT_RETENTION_MONTHS, complaintMonths: e.COMPLAINT_RETENTION_MONTHS },
    requestDeadlineMs: e.REQUEST_DEADLINE_MS,
    trustedProxyHops: e.TRUSTED_PROXY_HOPS,
    rateLimitOverrides: e.RATE_LIMITS,
    rosterIdentity: { type: e.ROSTER_IDENTITY_TYPE, issuer: e.ROSTER_IDENTITY_ISSUER },
  };
}
