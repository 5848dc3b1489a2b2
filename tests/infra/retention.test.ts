/**
 * Retention that counts every copy: a deleted blob stays recoverable for the soft-delete
 * window, so the app's expiry jobs and the storage lifecycle backstop must delete early
 * enough that the soft-deleted copy is gone by the promised limit. The numbers come from the
 * compiled template and from the app's own constants and job declarations, not from here.
 */
import { expect, it } from 'vitest';
import { featureJobs } from '../../lib/app/feature.js';
import { EXPORT_RETENTION_DAYS } from '../../lib/exports/export-model.js';
import { EXPORT_EXPIRY_JOB } from '../../lib/exports/export-expiry.js';
import { FEATURES } from '../../lib/features.js';
import { LEAVER_REPORT_EXPIRY_JOB } from '../../lib/reports/leaver-report-expiry.js';
import { EXPIRY_LOOKAHEAD_MS } from '../../lib/reports/retention.js';
import { ROSTER_UPLOADS_CONTAINER } from '../../lib/roster-import/roster-uploads.js';
import { BLOB_CONTAINERS } from '../../lib/storage/blob-containers.js';
import { literal, one, suite, type Json } from './arm-template-model.js';

const DAY_MS = 86_400_000;
/** The fewest days 12 calendar months can have (P4: leaver reports are kept up to 12 months). */
const SHORTEST_TWELVE_MONTHS_DAYS = 365;
/** Azure runs a lifecycle policy about once a day: an eligible blob can wait up to a day. */
const LIFECYCLE_LAG_DAYS = 1;
/** The bound docs/infrastructure.md states for an export's last copy, in days after it was made. */
const EXPORT_LAST_COPY_DAYS = 10;
/** The bound docs/infrastructure.md states for an abandoned roster upload's last copy, in days after the upload. */
const ROSTER_UPLOAD_LAST_COPY_DAYS = 4;

/** Soft delete of an account's blobs and containers, in days; 0 when off. */
function softDeleteDays(module = 'storage'): { blobs: number; containers: number } {
  const { resource, frame } = one('Microsoft.Storage/storageAccounts/blobServices', module);
  const p = resource.properties as Record<string, { enabled: boolean; days: Json }>;
  const days = (policy: { enabled: boolean; days: Json } | undefined) => (policy?.enabled ? (literal(policy.days, frame) as number) : 0);
  return { blobs: days(p.deleteRetentionPolicy), containers: days(p.containerDeleteRetentionPolicy) };
}

function lifecycleDays(prefix: string, module = 'storage'): number {
  const { resource, frame } = one('Microsoft.Storage/storageAccounts/managementPolicies', module);
  const rules = (resource.properties?.policy as { rules: Json[] }).rules as {
    enabled: boolean;
    definition: { filters: { prefixMatch: string[] }; actions: { baseBlob: { delete: { daysAfterCreationGreaterThan: Json } }; snapshot?: { delete: { daysAfterCreationGreaterThan: Json } } } };
  }[];
  const rule = rules.find((r) => r.definition.filters.prefixMatch.includes(prefix));
  expect(rule?.enabled, `lifecycle rule for ${prefix}`).toBe(true);
  const base = literal(rule?.definition.actions.baseBlob.delete.daysAfterCreationGreaterThan, frame) as number;
  const snapshots = rule?.definition.actions.snapshot;
  if (snapshots) expect(literal(snapshots.delete.daysAfterCreationGreaterThan, frame), `${prefix} snapshots go too`).toBe(base);
  return base;
}

/** Days between two runs of a job: every retention job is declared with one run a day. */
function jobPeriodDays(name: string): number {
  const job = featureJobs(FEATURES).find((j) => j.name === name);
  expect(job?.dailyAt, `${name} runs daily`).toBeDefined();
  return 1;
}

suite('retention that counts every copy', () => {
  it('a leaver report deleted by the expiry job is gone for good, soft-deleted copy included, by its deadline', () => {
    // The job removes reports whose deadline is within the look-ahead; with one run a day the
    // last run before a deadline happens at least (look-ahead - period) before it.
    const earliestMarginDays = EXPIRY_LOOKAHEAD_MS / DAY_MS - jobPeriodDays(LEAVER_REPORT_EXPIRY_JOB);
    const { blobs, containers } = softDeleteDays();
    // Strictly less: Azure purges soft-deleted blobs in the background, so a margin of zero is not a margin.
    expect(blobs, 'soft-deleted report outlives (or reaches) its deadline').toBeLessThan(earliestMarginDays);
    expect(containers, 'a deleted container keeps its reports as long as this').toBeLessThan(earliestMarginDays);
  });

  it('the lifecycle backstop deletes leaver reports early enough that lag and soft delete stay inside 12 months', () => {
    // daysAfterCreationGreaterThan: N makes a blob eligible on day N + 1.
    const lastCopyDay = lifecycleDays('leaver-reports/') + 1 + LIFECYCLE_LAG_DAYS + softDeleteDays().blobs;
    expect(lastCopyDay).toBeLessThanOrEqual(SHORTEST_TWELVE_MONTHS_DAYS);
  });

  it('an export stays downloadable its 7 days and its last copy is gone within the documented bound', () => {
    const backstop = lifecycleDays('exports/');
    expect(backstop, 'the backstop never deletes a file the API still offers').toBeGreaterThanOrEqual(EXPORT_RETENTION_DAYS);
    const byJob = EXPORT_RETENTION_DAYS + jobPeriodDays(EXPORT_EXPIRY_JOB) + softDeleteDays().blobs;
    const byBackstop = backstop + 1 + LIFECYCLE_LAG_DAYS + softDeleteDays().blobs;
    expect(Math.max(byJob, byBackstop)).toBeLessThanOrEqual(EXPORT_LAST_COPY_DAYS);
  });

  it('has a lifecycle backstop for every container the app keeps', () => {
    for (const container of BLOB_CONTAINERS) expect(lifecycleDays(`${container}/`), container).toBeGreaterThanOrEqual(0);
  });

  it('deletes an abandoned roster upload a day after it was made, never sooner, its last copy within the documented bound', () => {
    // One day: more than an import runs, so a file is never taken from under a running import.
    const backstop = lifecycleDays(`${ROSTER_UPLOADS_CONTAINER}/`, 'uploadStorage');
    expect(backstop).toBe(1);
    const { resource } = one('Microsoft.Storage/storageAccounts/blobServices', 'uploadStorage');
    expect(resource.properties?.isVersioningEnabled, 'no older versions of an upload outlive it').toBe(false);
    expect(backstop + 1 + LIFECYCLE_LAG_DAYS + softDeleteDays('uploadStorage').blobs).toBeLessThanOrEqual(ROSTER_UPLOAD_LAST_COPY_DAYS);
    // The planned batches of a run never resumed, in the main account, within the same bound.
    const batches = lifecycleDays(`${ROSTER_UPLOADS_CONTAINER}/`);
    expect(batches).toBe(1);
    expect(batches + 1 + LIFECYCLE_LAG_DAYS + softDeleteDays().blobs).toBeLessThanOrEqual(ROSTER_UPLOAD_LAST_COPY_DAYS);
  });

  it('keeps Cosmos DB point-in-time restore at the 7-day tier the privacy docs state', () => {
    const { resource } = one('Microsoft.DocumentDB/databaseAccounts');
    expect(resource.properties?.backupPolicy).toEqual({ type: 'Continuous', continuousModeProperties: { tier: 'Continuous7Days' } });
  });
});
