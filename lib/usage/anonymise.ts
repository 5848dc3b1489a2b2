import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { ANONYMOUS_SHARDS, anonymousBucket, type UsageRecord } from './usage-model.js';

/**
 * Addresses are cut to their network: IPv4 to /24, IPv6 to /48 (a site). That keeps what
 * operations need (which networks use the service, abuse by network) while no longer
 * pointing at one device or subscriber line.
 */
export function truncateIp(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  if (isIPv4(ip)) return `${ip.split('.').slice(0, 3).join('.')}.0/24`;
  if (isIPv6(ip)) return `${expandIpv6(ip).slice(0, 3).join(':')}::/48`;
  return undefined;
}

function expandIpv6(ip: string): string[] {
  const [head = '', tail] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = Math.max(0, 8 - left.length - right.length);
  return [...left, ...Array.from({ length: missing }, () => '0'), ...right].map((part) => part.toLowerCase().replace(/^0+(?=.)/, ''));
}

const BROWSERS: readonly (readonly [RegExp, string])[] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\b(OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(Firefox|FxiOS)\//, 'Firefox'],
  [/\b(Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*Safari\//, 'Safari'],
  [/\b(curl|Wget|okhttp|node|undici|axios|python-requests)\b/i, 'Tool'],
];

const SYSTEMS: readonly (readonly [RegExp, string])[] = [
  [/\b(iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

/** Browser and OS family only: versions, build ids and device names single people out. */
export function userAgentFamily(userAgent: string | undefined): string | undefined {
  if (!userAgent) return undefined;
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1] ?? 'Other';
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1] ?? 'Other';
  return `${browser}/${system}`;
}

/** To the hour: exact times could be matched against other records of the same session. */
export function truncateToHour(iso: string): string {
  return `${iso.slice(0, 13)}:00:00.000Z`;
}

/**
 * The anonymised twin of a record. Its id and shard derive from the record's id and a
 * random secret of the account's ledger entry, so a resumed run re-creates the same twin
 * (and notices it already exists) while nobody can link twins to the account or to each
 * other once the ledger entry, and with it the secret, is gone.
 */
export function anonymisedCopy(record: UsageRecord, secret: string): UsageRecord {
  const digest = createHash('sha256').update(`${secret}:${record.id}`).digest('hex');
  const base = {
    id: digest.slice(0, 32),
    municipalityId: record.municipalityId,
    accountBucket: anonymousBucket(record.month, Number.parseInt(digest.slice(32, 34), 16) % ANONYMOUS_SHARDS),
    month: record.month,
    anonymised: true as const,
    at: truncateToHour(record.at),
    ...optional('ip', truncateIp(record.ip)),
    ...optional('userAgent', userAgentFamily(record.userAgent)),
  };
  switch (record.type) {
    case 'usage-event':
      return { ...base, type: record.type, eventType: record.eventType, feature: record.feature };
    case 'device-registration':
      return {
        ...base,
        type: record.type,
        model: record.model,
        osVersion: record.osVersion,
        ...optional('os', record.os),
        ...optional('network', record.network),
      };
    case 'request-log':
      return {
        ...base,
        type: record.type,
        actor: record.actor,
        method: record.method,
        route: record.route,
        status: record.status,
        durationMs: record.durationMs,
      };
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
