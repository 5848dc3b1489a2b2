import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config/config.js';
import { HttpProblem } from '../../lib/http/problem.js';
import { ncrontab, nextOccurrence } from '../../lib/app/schedule.js';
import { resolveAsOf } from '../../lib/jobs/job-service.js';
import { anonymisedCopy, truncateIp, userAgentFamily } from '../../lib/usage/anonymise.js';
import { clientIp } from '../../lib/usage/client-info.js';
import {
  addMonthsClamped,
  cutoffDay,
  deadlineOf,
  MAX_ANONYMISATION_DELAY_DAYS,
  RETRY_MARGIN_DAYS,
  SCHEDULE_PERIOD_DAYS,
  SHORTEST_THREE_MONTHS_DAYS,
} from '../../lib/usage/retention-policy.js';
import type { UsageEventDocument } from '../../lib/usage/usage-model.js';
import { COSMOS_EMULATOR_KEY } from '../../local/stack.js';

const DAY_MS = 86_400_000;

const baseEnv = {
  ENGAGE_MODE: 'local',
  COSMOS_ENDPOINT: 'https://127.0.0.1:8081',
  COSMOS_KEY: COSMOS_EMULATOR_KEY,
  BLOB_ENDPOINT: 'http://127.0.0.1:10000/devstoreaccount1',
  BLOB_ACCOUNT_NAME: 'devstoreaccount1',
  BLOB_ACCOUNT_KEY: 'key',
};

describe('the P10 deadline arithmetic', () => {
  it('no "3 months after" is shorter than 89 days, and some are exactly 89 (every day of 2020-2035)', () => {
    let shortest = Infinity;
    for (let time = Date.UTC(2020, 0, 1); time < Date.UTC(2036, 0, 1); time += DAY_MS) {
      const deleted = new Date(time + 13 * 3_600_000);
      shortest = Math.min(shortest, (deadlineOf(deleted).getTime() - deleted.getTime()) / DAY_MS);
    }
    expect(shortest).toBe(SHORTEST_THREE_MONTHS_DAYS);
    expect(addMonthsClamped(new Date('2031-01-31T10:00:00Z'), 3).toISOString()).toBe('2031-04-30T10:00:00.000Z');
    expect(addMonthsClamped(new Date('2031-11-30T10:00:00Z'), 3).toISOString()).toBe('2032-02-29T10:00:00.000Z');
  });

  it('bounds N so that N + the daily period + the retry margin stays inside the shortest 3 months', () => {
    expect(MAX_ANONYMISATION_DELAY_DAYS + SCHEDULE_PERIOD_DAYS + RETRY_MARGIN_DAYS).toBeLessThanOrEqual(SHORTEST_THREE_MONTHS_DAYS);
    expect(MAX_ANONYMISATION_DELAY_DAYS).toBe(74);
    // The latest an account deleted at the very start of its day can be anonymised by schedule.
    const deleted = new Date('2031-02-01T00:00:00Z');
    const lastScheduledRun = new Date(deleted.getTime() + (MAX_ANONYMISATION_DELAY_DAYS + SCHEDULE_PERIOD_DAYS + RETRY_MARGIN_DAYS) * DAY_MS);
    expect(lastScheduledRun.getTime()).toBeLessThanOrEqual(deadlineOf(deleted).getTime());
  });

  it('the config takes N up to the bound and refuses more, naming the variable', () => {
    expect(loadConfig({ ...baseEnv, USAGE_ANONYMISATION_DELAY_DAYS: '74' }).usage.anonymisationDelayDays).toBe(74);
    expect(loadConfig(baseEnv).usage).toEqual({ anonymisationDelayDays: 30, platformLogRetentionDays: 30, recordsPerBatch: 1000 });
    for (const bad of ['75', '0', '30.5', 'soon']) {
      expect(() => loadConfig({ ...baseEnv, USAGE_ANONYMISATION_DELAY_DAYS: bad })).toThrow(ConfigError);
    }
    expect(() => loadConfig({ ...baseEnv, USAGE_ANONYMISATION_DELAY_DAYS: '90' })).toThrow(/USAGE_ANONYMISATION_DELAY_DAYS/);
    expect(() => loadConfig({ ...baseEnv, PLATFORM_REQUEST_LOG_RETENTION_DAYS: '365' })).toThrow(/PLATFORM_REQUEST_LOG_RETENTION_DAYS/);
  });

  it('accounts deleted on or before the cutoff day are due', () => {
    expect(cutoffDay(new Date('2031-03-31T02:15:00Z'), 30)).toBe('2031-03-01');
  });
});

describe('asOf', () => {
  const now = new Date('2031-03-10T12:00:00Z');

  it('a future asOf is refused in azure mode with a 400 problem, and allowed in local mode', () => {
    const refused = (() => {
      try {
        resolveAsOf('2031-03-11', now, 'azure');
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(HttpProblem);
    expect((refused as HttpProblem).status).toBe(400);
    expect(resolveAsOf('2031-03-11', now, 'local').toISOString()).toBe('2031-03-11T00:00:00.000Z');
    expect(resolveAsOf('2031-03-10', now, 'azure').toISOString()).toBe('2031-03-10T00:00:00.000Z');
    expect(resolveAsOf('2031-01-01T00:00:00+01:00', now, 'azure').toISOString()).toBe('2030-12-31T23:00:00.000Z');
    expect(resolveAsOf(undefined, now, 'azure')).toEqual(now);
  });
});

describe('schedules', () => {
  it('one daily time drives the Azure NCRONTAB and the local timer alike', () => {
    const schedule = { dailyAt: { hourUtc: 2, minuteUtc: 15 } };
    expect(ncrontab(schedule)).toBe('0 15 2 * * *');
    expect(nextOccurrence(schedule, new Date('2031-03-10T01:00:00Z')).toISOString()).toBe('2031-03-10T02:15:00.000Z');
    expect(nextOccurrence(schedule, new Date('2031-03-10T02:15:00Z')).toISOString()).toBe('2031-03-11T02:15:00.000Z');
    expect(nextOccurrence(schedule, new Date('2031-12-31T23:00:00Z')).toISOString()).toBe('2032-01-01T02:15:00.000Z');
  });

  it('an every-few-minutes timer fires on the minutes NCRONTAB `*/n` names, never twice in one minute', () => {
    const schedule = { everyMinutes: 5 };
    expect(ncrontab(schedule)).toBe('0 */5 * * * *');
    expect(nextOccurrence(schedule, new Date('2031-03-10T01:02:30Z')).toISOString()).toBe('2031-03-10T01:05:00.000Z');
    expect(nextOccurrence(schedule, new Date('2031-03-10T01:05:00Z')).toISOString()).toBe('2031-03-10T01:10:00.000Z');
    expect(nextOccurrence(schedule, new Date('2031-03-10T23:58:00Z')).toISOString()).toBe('2031-03-11T00:00:00.000Z');
  });
});

describe('client address and anonymisation rules', () => {
  it('takes the last X-Forwarded-For hop (the platform appended it), with or without a port', () => {
    expect(clientIp('10.9.8.7, 203.0.113.9')).toBe('203.0.113.9');
    expect(clientIp('203.0.113.9:51234')).toBe('203.0.113.9');
    expect(clientIp('[2001:db8:1:2::7]:443')).toBe('2001:db8:1:2::7');
    expect(clientIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(clientIp('forged, not-an-ip')).toBeUndefined();
    expect(clientIp(null)).toBeUndefined();
    // Behind the gateway: the client address it wrote, then the gateway's, which App Service appended.
    expect(clientIp('10.9.8.7, 203.0.113.9, 10.60.0.4', 1)).toBe('203.0.113.9');
    expect(clientIp('203.0.113.9', 1)).toBeUndefined();
  });

  it('cuts IPv4 to /24 and IPv6 to /48', () => {
    expect(truncateIp('203.0.113.77')).toBe('203.0.113.0/24');
    expect(truncateIp('2001:db8:abcd:12::1')).toBe('2001:db8:abcd::/48');
    expect(truncateIp('2001:db8::1')).toBe('2001:db8:0::/48');
    expect(truncateIp('::1')).toBe('0:0:0::/48');
    expect(truncateIp(undefined)).toBeUndefined();
  });

  it('keeps browser and OS family of a user agent and nothing else', () => {
    const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
    expect(userAgentFamily(iphone)).toBe('Safari/iOS');
    expect(userAgentFamily('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80')).toBe('Edge/Windows');
    expect(userAgentFamily('Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36')).toBe('Chrome/Android');
    expect(userAgentFamily('node')).toBe('Tool/Other');
    expect(userAgentFamily('weird agent 1.0')).toBe('Other/Other');
  });

  it('an anonymised twin keeps statistics only, and is the same twin on every attempt', () => {
    const record: UsageEventDocument = {
      id: 'e8f3c1de-1111-4a4a-9999-123456789abc',
      municipalityId: '0301',
      accountBucket: 'acct:3f1c0b6e-aaaa-4bbb-8ccc-000000000001:2031-03',
      month: '2031-03',
      accountId: '3f1c0b6e-aaaa-4bbb-8ccc-000000000001',
      type: 'usage-event',
      eventType: 'feature-use',
      feature: 'grades/list',
      at: '2031-03-10T12:34:56.789Z',
      receivedAt: '2031-03-10T12:35:00.000Z',
      deviceId: 'device-1234567890',
      ip: '203.0.113.77',
      userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/124.0 Safari/537.36',
    };
    const twin = anonymisedCopy(record, 'secret-a');
    expect(twin).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      municipalityId: '0301',
      accountBucket: expect.stringMatching(/^anon:2031-03:[0-9a-f]$/),
      month: '2031-03',
      anonymised: true,
      type: 'usage-event',
      eventType: 'feature-use',
      feature: 'grades/list',
      at: '2031-03-10T12:00:00.000Z',
      ip: '203.0.113.0/24',
      userAgent: 'Chrome/Windows',
    });
    expect(anonymisedCopy(record, 'secret-a')).toEqual(twin);
    expect(anonymisedCopy(record, 'secret-b').id).not.toBe(twin.id);
  });
});
