import type { Container } from '@azure/cosmos';
import type { Clock } from '../clock.js';
import { queryAll } from '../paging/query-page.js';
import type { PrivacyProvider, PrivacySubject } from '../privacy/privacy-provider.js';
import { AccountMonths } from './account-months.js';
import { MAX_ANONYMISATION_DELAY_DAYS } from './retention-policy.js';
import { UsageCells } from './usage-cells.js';
import { UsageLedger } from './usage-ledger.js';
import { accountBucket, type UsageRecord } from './usage-model.js';

export interface UsagePrivacyContainers {
  usage: Container;
  ledger: Container;
  jobs: Container;
}

/** Fields of a usage record that are bookkeeping, not information about the person. */
const INTERNAL_FIELDS = new Set(['accountBucket', 'municipalityId', 'accountId', '_rid', '_self', '_etag', '_attachments', '_ts']);

/**
 * P6/P10 in the privacy registry. Erasing a staff user starts the P10 clock (a ledger entry)
 * rather than anonymising at once: the anonymisation job does that N days later, well within
 * 3 months. Verification therefore asks "is every usage record of the account on its way out?":
 * a pending ledger entry while records are left; once none are, no daily cell may count the
 * account any more (anonymisation removes its digest from the cells before its events).
 */
export function usagePrivacyProviders(containers: UsagePrivacyContainers, clock: Clock, digestKey: string): PrivacyProvider[] {
  const months = new AccountMonths(containers.usage);
  const cells = new UsageCells(containers.usage, digestKey);
  const ledger = new UsageLedger(containers.ledger, clock);
  const recordsOf = async (subject: PrivacySubject): Promise<UsageRecord[]> => {
    const records: UsageRecord[] = [];
    for (const month of await months.list(subject.municipalityId, subject.id)) {
      records.push(...(await queryAll<UsageRecord>(containers.usage, {}, [['municipalityId', subject.municipalityId], ['accountBucket', accountBucket(subject.id, month)]])));
    }
    return records;
  };
  const usage: PrivacyProvider = {
    name: 'usage',
    locations: [
      // Daily usage cells hold a keyed digest of the account, removed with its events' link when they are anonymised.
      { kind: 'cosmos', container: 'usage', documentTypes: ['usage-event', 'device-registration', 'request-log', 'usage-month', 'usage-cell', 'usage-cell-index'] },
      { kind: 'cosmos', container: 'ledger', documentTypes: ['usage-due', 'usage-open-day'] },
    ],
    categories: [
      'features used and when',
      'devices: model, OS version, device id, mobile network, phone number',
      'server log of every API call: route, time, IP address, user agent',
      'daily usage totals per feature: a keyed digest counting the account as one person, never its id',
    ],
    purpose: 'Running, protecting and improving the service (P6); analysis uses aggregates only (P7)',
    retention: `Linked to the account while it exists; anonymised automatically N days after the account is deleted (USAGE_ANONYMISATION_DELAY_DAYS, at most ${MAX_ANONYMISATION_DELAY_DAYS}), within 3 months (P10)`,
    subjects: ['user'],
    unlinkedSubjects:
      'Request logs of callers without a staff account (anonymous, unregistered identities, platform operators) carry no identity at all and are deleted after PLATFORM_REQUEST_LOG_RETENTION_DAYS (at most 74).',
    async export(subject) {
      const records = await recordsOf(subject);
      const entry = await ledger.findEntry(subject.municipalityId, subject.id);
      return {
        provider: this.name,
        description: 'Usage events, device registrations and request logs of the account',
        items: [
          ...records.map((record) => Object.fromEntries(Object.entries(record).filter(([field]) => !INTERNAL_FIELDS.has(field)))),
          ...(entry ? [{ type: 'scheduled-anonymisation', deletedAt: entry.deletedAt, deadline: entry.deadline }] : []),
        ],
      };
    },
    // P10's 3 months run from the moment the deletion is accepted, not from when this step runs.
    // Recording is idempotent for one moment (the same day's entry), so a repeat costs no lookup.
    async accepted(subject) {
      await ledger.recordAccountDeleted(subject.municipalityId, subject.id, new Date(subject.acceptedAt));
    },
    async erase(subject) {
      if (subject.acceptedAt) await ledger.recordAccountDeleted(subject.municipalityId, subject.id, new Date(subject.acceptedAt));
      // An erasure accepted before the clock started at acceptance: its entry, wherever its day is, or one from now.
      else if (!(await ledger.findEntry(subject.municipalityId, subject.id))) await ledger.recordAccountDeleted(subject.municipalityId, subject.id, clock.now());
      return 0;
    },
    async verify(subject) {
      if ((await months.list(subject.municipalityId, subject.id)).length > 0) {
        if (await ledger.findEntry(subject.municipalityId, subject.id)) return [];
        return ['usage records of the account are not scheduled for anonymisation'];
      }
      const days = await cells.daysCounting(subject.municipalityId, subject.id);
      return days.length === 0 ? [] : [`daily usage cells of ${days.length} day(s) still count the account by its digest`];
    },
  };
  const jobs: PrivacyProvider = {
    name: 'jobs',
    locations: [{ kind: 'cosmos', container: 'jobs', documentTypes: ['job-run', 'job-progress', 'job-cursor'] }],
    categories: [],
    purpose: 'Status and progress of retention job runs: run and municipality ids, counts and times, no personal data',
    retention: 'Kept as the record that the retention jobs ran',
    subjects: [],
    export: async () => ({ provider: 'jobs', description: 'No personal data', items: [] }),
    erase: async () => 0,
    verify: async () => [],
  };
  return [usage, jobs];
}
