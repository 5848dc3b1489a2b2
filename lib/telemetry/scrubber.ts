import { isIPv4, isIPv6 } from 'node:net';

/**
 * Removes personal data from anything headed for logs or telemetry (P6, P11): query
 * strings, full IP addresses, emails, phone numbers, fødselsnummer-shaped numbers and
 * name-shaped word sequences. Pattern matching cannot recognise a single name ("Kari")
 * in free text, so fields that carry free text are redacted wholesale by key instead.
 * Every replacement is a bracketed marker that no pattern matches, so scrubbing twice
 * changes nothing.
 */

export const REDACTED = '[redacted]';

/**
 * Keys whose values are free text or direct identifiers, compared lower-cased without
 * `-`/`_`, on the whole key and on its last dotted segment (`user.email`, `enduser.id`).
 */
const FREE_TEXT_KEYS = new Set([
  'name', 'sub', 'subject', 'upn', 'userprincipalname', 'preferredusername', 'mail', 'msisdn', 'ssn',
  'body', 'content', 'text', 'freetext', 'reason', 'birthdate', 'dateofbirth', 'birthnumber',
  'url.query', 'http.query', 'enduser.id', 'enduser.role', 'enduser.scope', 'exception.message',
  'http.request.header.authorization', 'http.request.header.cookie', 'http.response.header.setcookie',
]);
/** Key endings that mean free text or contact data: `studentName`, `contactEmail`, `homeAddress`... */
const FREE_TEXT_SUFFIXES = [
  'name', 'email', 'emailaddress', 'phone', 'phonenumber', 'mobile', 'telephone', 'address', 'comment', 'comments',
  'note', 'notes', 'description', 'message', 'fodselsnummer', 'nationalidentitynumber',
];
/** `...name` keys that hold names of things, not of people. */
const THING_NAME_KEYS = new Set([
  'jobname', 'eventname', 'routename', 'functionname', 'operationname', 'metricname', 'testname', 'hostname',
  'servicename', 'containername', 'databasename', 'blobname', 'filename', 'typename', 'methodname', 'hubname',
  'queuename', 'tablename', 'instancename', 'spanname', 'taskname', 'orchestrationname', 'activityname',
]);
/** OpenTelemetry semantic-convention namespaces: hosts, methods, status codes; only the listed keys above are free text. */
const SEMANTIC_KEY = /^(?:az|client|cloud|code|db|faas|host|http|messaging|net|network|os|otel|peer|process|rpc|server|service|url|_ms)\./;

const URL_WITH_QUERY = /((?:\b[a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)|(?:(?<![\w.~-])\/[^\s?#"'<>]*))[?#][^\s"'<>]*/gi;
const EMAIL = /[\p{L}\p{N}._%+-]+(?:@|%40)[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/giu;
/** 11 digits, optionally as "ddmmyy nnnnn": fødselsnummer and D-nummer. */
const NATIONAL_ID = /(?<![\w-])\d{6}[ -]?\d{5}(?![\w-])/g;
/** International form: +CC or 00CC and 6 to 14 more digits, spaces or hyphens between. */
const INTERNATIONAL_PHONE = /(?<![\w+])(?:\+|00)[1-9](?:[ -]?\d){6,14}(?![\w-])/g;
/** Norwegian national form: 8 digits, optionally grouped by spaces (41 23 45 67, 412 34 567). */
const NATIONAL_PHONE = /(?<![\w-])\d(?: ?\d){7}(?![\w-])/g;
/** Two or more capitalised words in a row ("Kari Nordmann", "Anne-Lise Ås Berg"). */
const NAME_SEQUENCE = /(?<![\p{L}\p{N}])\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}[\p{Ll}'’]+)*(?:[ \t]+\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}[\p{Ll}'’]+)*)+(?![\p{L}\p{N}])/gu;
const IPV4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])/g;
const IPV6_CANDIDATE = /(?<![\w:.])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:(?<=:)(?:\d{1,3}\.){3}\d{1,3})?(?![\w:.])/gi;

/** The network prefix of an address: /24 for IPv4, /48 for IPv6. Anything else is returned as is. */
export function truncateIp(address: string): string {
  if (isIPv4(address)) return address.replace(/\.\d{1,3}$/, '.0');
  if (isIPv6(address)) {
    const mapped = /^::ffff:((?:\d{1,3}\.){3}\d{1,3})$/i.exec(address);
    if (mapped?.[1]) return `::ffff:${truncateIp(mapped[1])}`;
    return `${expandIpv6(address).slice(0, 3).join(':')}::`;
  }
  return address;
}

function expandIpv6(address: string): string[] {
  const withoutV4 = address.replace(/(?:\d{1,3}\.){3}\d{1,3}$/, '0:0');
  const [head = '', tail] = withoutV4.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const groups = tail === undefined ? headGroups : [...headGroups, ...zeros, ...tailGroups];
  return groups.map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''));
}

/**
 * Scrubs a value that should be an id, enum or URL: query strings, IPs, emails,
 * national ids and phone numbers. Names are left alone here: values such as the Cosmos
 * DB region "Norway East" are capitalised word sequences too.
 */
export function scrubPatterns(text: string): string {
  return text
    .replace(URL_WITH_QUERY, '$1')
    .replace(IPV6_CANDIDATE, (match) => (isIPv6(match) ? truncateIp(match) : match))
    .replace(IPV4, (match) => (isIPv4(match) ? truncateIp(match) : match))
    .replace(EMAIL, '[email]')
    .replace(NATIONAL_ID, '[national-id]')
    .replace(INTERNATIONAL_PHONE, '[phone]')
    .replace(NATIONAL_PHONE, '[phone]');
}

/** Scrubs a message (log event, span name, trace text): every pattern, then name-shaped sequences. */
export function scrubText(text: string): string {
  return scrubPatterns(text).replace(NAME_SEQUENCE, '[name]');
}

export function isFreeTextKey(key: string): boolean {
  const lower = key.toLowerCase();
  const last = lower.slice(lower.lastIndexOf('.') + 1).replace(/[-_]/g, '');
  if (FREE_TEXT_KEYS.has(lower)) return true;
  if (SEMANTIC_KEY.test(lower)) return false;
  if (FREE_TEXT_KEYS.has(last)) return true;
  if (THING_NAME_KEYS.has(last)) return false;
  return FREE_TEXT_SUFFIXES.some((suffix) => last.endsWith(suffix));
}

/** Keeps an exception's type and stack frames; drops its message, which may echo input. */
function scrubStackTrace(stack: string): string {
  const lines = stack.split('\n');
  const type = /^([\w$.]+)(?::|$)/.exec(lines[0] ?? '')?.[1] ?? 'Error';
  return [type, ...lines.slice(1).filter((line) => /^\s+at /.test(line)).map(scrubPatterns)].join('\n');
}

/**
 * What went wrong, without personal data: the error's type, its message scrubbed as a log
 * message is (addresses, numbers and name-shaped words replaced), and its stack frames.
 */
export function describeError(error: unknown): { error: string; detail: string; stack: string } {
  if (!(error instanceof Error)) return { error: typeof error, detail: '', stack: '' };
  return { error: error.name, detail: scrubText(error.message).slice(0, 500), stack: scrubStackTrace(error.stack ?? '') };
}

/** Scrubs one property (log field, span attribute, custom dimension) by its key and value. */
export function scrubValue(key: string, value: unknown): unknown {
  if (typeof value === 'string') {
    if (value.length === 0) return value;
    if (isFreeTextKey(key)) return REDACTED;
    if (key.toLowerCase().endsWith('stacktrace') || key.toLowerCase() === 'stack') return scrubStackTrace(value);
    return scrubPatterns(value);
  }
  if (Array.isArray(value)) return value.map((item) => scrubValue(key, item));
  return value;
}

export function scrubProperties<T extends Record<string, unknown>>(properties: T): T {
  const scrubbed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) scrubbed[key] = scrubValue(key, value);
  return scrubbed as T;
}

/**
 * Scrubs every string inside a structured value by pattern, and strings under a
 * `message` key (or a bare string) as messages. Used for the SDK's envelope data, whose
 * keys the SDK defines: an availability result's `name` and `message` are ours, not a
 * person's, so key-based redaction would destroy them.
 */
export function scrubDeep(value: unknown, key = 'message'): unknown {
  if (typeof value === 'string') return key === 'message' ? scrubText(value) : scrubPatterns(value);
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, key));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, scrubDeep(item, name)]));
  }
  return value;
}
