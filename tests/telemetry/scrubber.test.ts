import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.js';
import { REDACTED, scrubDeep, scrubPatterns, scrubText, scrubValue, truncateIp } from '../../lib/telemetry/scrubber.js';

describe('scrubText', () => {
  it.each([
    ['kanari.fuglesang@canary.test', '[email]'],
    ['mail=kanari.fuglesang%40canary.test;', 'mail=[email];'],
    ['Ørjan.Ås@skole.no', '[email]'],
    ['+47 41 23 45 67', '[phone]'],
    ['0047 41234567', '[phone]'],
    ['tlf 41 23 45 67.', 'tlf [phone].'],
    ['412 34 567', '[phone]'],
    ['41234567', '[phone]'],
    ['+1-202-555-0147', '[phone]'],
    ['+44 20 7946 0958', '[phone]'],
    ['01010112345', '[national-id]'],
    ['010101 12345', '[national-id]'],
    ['Created user Kanari Fuglesang today', 'Created user [name] today'],
    ['Anne-Lise Ås Berg', '[name]'],
    ['https://x.test/api/users?email=a%40b.no#top', 'https://x.test/api/users'],
    ['GET /api/municipalities/0301/users?name=Kanari%20Fuglesang&x=1 HTTP/1.1', 'GET /api/municipalities/0301/users HTTP/1.1'],
  ])('redacts %j', (input, expected) => {
    expect(scrubText(input)).toBe(expected);
  });

  it('truncates IPv4 to /24 and IPv6 to /48, also IPv4-mapped and inside lists', () => {
    expect(scrubText('for 198.51.100.23, 2001:db8:85a3::8a2e:370:7334 via ::ffff:203.0.113.77')).toBe(
      'for 198.51.100.0, 2001:db8:85a3:: via ::ffff:203.0.113.0',
    );
    expect(truncateIp('2001:db8::1')).toBe('2001:db8:0::');
    expect(truncateIp('not an ip')).toBe('not an ip');
  });

  it.each([
    '550e8400-e29b-41d4-a716-446655440000',
    '12345678-aaaa-4bbb-8ccc-123456789012',
    '2025-01-31T10:20:30.000Z',
    '2025-01-31',
    'municipality 0301, 12345 items, v1.2.3, read=1,query=2',
    '/municipalities/{municipalityId}/users/{userId}',
    'azsdk-js-storage-blob/12.32.0 Node/22.23.3 (Linux 6.18.44; x64)',
  ])('keeps ids, dates, counts and route templates intact: %j', (input) => {
    expect(scrubText(input)).toBe(input);
  });

  it('is idempotent', () => {
    const input = 'Kanari Fuglesang <kanari.fuglesang@canary.test> +47 41 23 45 67 01010112345 at 203.0.113.77 /x?y=z';
    expect(scrubText(scrubText(input))).toBe(scrubText(input));
  });

  it('cannot recognise a lone first name in free text (why free-text fields are redacted by key)', () => {
    expect(scrubText('called Kanari')).toBe('called Kanari');
  });

  it('leaves capitalised values alone when they are not messages', () => {
    expect(scrubPatterns('Norway East,Sweden Central')).toBe('Norway East,Sweden Central');
  });
});

describe('scrubValue', () => {
  it.each(['name', 'studentName', 'email', 'contactEmail', 'phone', 'comment', 'message', 'errorMessage', 'user.email', 'subject', 'url.query', 'enduser.id'])(
    'redacts free-text and identifier key %s wholesale',
    (key) => {
      expect(scrubValue(key, 'Kanari')).toBe(REDACTED);
    },
  );

  it.each([
    ['jobName', 'anonymise-usage'],
    ['net.peer.name', 'cosmos-abc.documents.azure.com'],
    ['server.address', 'stabc.blob.core.windows.net'],
    ['locations', 'Norway East,Sweden Central'],
    ['route', 'list-users'],
    ['error', 'TypeError'],
  ])('keeps the id or enum in %s', (key, value) => {
    expect(scrubValue(key, value)).toBe(value);
  });

  it('strips query strings and truncates IPs in other values', () => {
    expect(scrubValue('http.url', 'https://st.blob.core.windows.net/exports/x.json?sv=2024&sig=secret')).toBe(
      'https://st.blob.core.windows.net/exports/x.json',
    );
    expect(scrubValue('client.address', '203.0.113.77')).toBe('203.0.113.0');
  });

  it('keeps only the type and frames of a stack trace: its message may echo input', () => {
    const stack = 'SyntaxError: Unexpected token \'K\', "Kanari Fug"... is not valid JSON\n    at JSON.parse (<anonymous>)\n    at readBody (/app/dispatcher.js:10:5)';
    expect(scrubValue('exception.stacktrace', stack)).toBe('SyntaxError\n    at JSON.parse (<anonymous>)\n    at readBody (/app/dispatcher.js:10:5)');
  });

  it('scrubs arrays element by element and leaves numbers and booleans', () => {
    expect(scrubValue('ips', ['203.0.113.77'])).toEqual(['203.0.113.0']);
    expect(scrubValue('count', 41234567)).toBe(41234567);
    expect(scrubValue('ok', true)).toBe(true);
  });
});

describe('scrubDeep', () => {
  it('scrubs messages as messages and other envelope fields by pattern only', () => {
    expect(
      scrubDeep({ name: 'engage-api-dependencies', runLocation: 'Norway East', message: 'Kanari Fuglesang failed', nested: [{ message: 'mail a@b.no' }] }),
    ).toEqual({ name: 'engage-api-dependencies', runLocation: 'Norway East', message: '[name] failed', nested: [{ message: 'mail [email]' }] });
  });
});

describe('Logger', () => {
  it('scrubs event names and properties before the sink sees them', () => {
    const lines: string[] = [];
    const logger = createLogger((_level, line) => lines.push(line));
    logger.warn('user Kanari Fuglesang signed in', { name: 'Kanari', email: 'kanari.fuglesang@canary.test', ip: '203.0.113.77', route: 'me' });
    expect(JSON.parse(lines[0] as string)).toEqual({
      level: 'warn',
      event: 'user [name] signed in',
      name: REDACTED,
      email: REDACTED,
      ip: '203.0.113.0',
      route: 'me',
    });
  });
});
