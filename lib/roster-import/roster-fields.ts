import { z } from 'zod';
import { acceptedName, nameText } from '../http/text-input.js';

/** A row refused: where (file, line, column) and why, never the value (it may be personal data). */
export interface Rejection {
  file: string;
  line: number;
  column: string;
  reason: string;
}

/** What a field check says: the cleaned value, or why the field is refused. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const refused = (reason: string): Checked<never> => ({ ok: false, reason });

const SOURCED_ID = /^[^\p{Cc}\s,]{1,255}$/u;
/**
 * A leading =, +, -, @ makes a spreadsheet run the cell as a formula when the data is exported
 * again; tested on the name as it is stored, after trimming, since a spreadsheet also skips
 * what `trim` removes (a tab, a no-break space, a line break) before one.
 */
const FORMULA_START = /^[=+\-@]/;
const FORMULA_REFUSAL = 'begins with =, +, - or @, as a spreadsheet formula does (CSV injection)';
/** What `z.iso.date()` checks, tested directly: a date per row is too many for zod's objects per call. */
const ISO_DATE = z.regexes.date;
const EMAIL = z.email().max(254);

export function sourcedId(value: string | undefined): Checked<string> {
  const trimmed = (value ?? '').trim();
  if (trimmed.length === 0) return refused('is required');
  return SOURCED_ID.test(trimmed) ? ok(trimmed) : refused('must be an id of at most 255 characters without spaces or control characters');
}

const nameSchemas = new Map<number, z.ZodString>();

/** A name as the API takes it (NFC, no hostile characters), and never something a spreadsheet would run. */
export function name(value: string | undefined, max: number): Checked<string> {
  const raw = value ?? '';
  const accepted = acceptedName(raw, { max });
  if (FORMULA_START.test(accepted ?? raw.trim())) return refused(FORMULA_REFUSAL);
  if (accepted !== undefined) return ok(accepted);
  // zod is asked only for the reason: acceptedName applies its rules.
  let schema = nameSchemas.get(max);
  if (!schema) nameSchemas.set(max, (schema = nameText({ max })));
  const parsed = schema.safeParse(raw);
  return parsed.success ? ok(parsed.data) : refused(parsed.error.issues[0]?.message ?? 'is not a valid name');
}

export function date(value: string | undefined, required: boolean): Checked<string | undefined> {
  const trimmed = (value ?? '').trim();
  if (trimmed.length === 0) return required ? refused('is required') : ok(undefined);
  return ISO_DATE.test(trimmed) ? ok(trimmed) : refused('is not a valid date (YYYY-MM-DD)');
}

/** OneRoster's status: active, or tobedeleted (a delta's deletion); blank means active. */
export function status(value: string | undefined): Checked<'active' | 'tobedeleted'> {
  const trimmed = (value ?? '').trim();
  if (trimmed === '' || trimmed === 'active') return ok('active');
  if (trimmed === 'tobedeleted') return ok('tobedeleted');
  return refused('must be active or tobedeleted');
}

export function email(value: string | undefined): Checked<string> {
  const trimmed = (value ?? '').trim();
  if (trimmed.length === 0) return refused('is required for staff (the API requires it)');
  if (FORMULA_START.test(trimmed)) return refused('begins with =, +, - or @, as a spreadsheet formula does (CSV injection)');
  return EMAIL.safeParse(trimmed).success ? ok(trimmed) : refused('is not a valid email address');
}

/** A OneRoster list field: comma-separated ids (`orgSourcedIds`, `termSourcedIds`, `grades`). */
export function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter((item) => item.length > 0);
}

/** `userIds`: `{type:identifier}` pairs, e.g. `{Feide:ola@skole.no},{LDAP:ola}`; the one of `type`. */
export function userIdOf(value: string | undefined, type: string): Checked<string> {
  const pairs = [...(value ?? '').matchAll(/\{([^:{}]+):([^{}]+)\}/g)];
  const match = pairs.find(([, kind]) => kind?.trim() === type);
  if (!match?.[2]) return refused(`has no login identity of type ${type}`);
  const identifier = match[2].trim();
  return identifier.length > 255 || /\p{Cc}/u.test(identifier) ? refused('holds a login identity that is not valid') : ok(identifier);
}

/** Grades -> year level, as OneRoster's CEDS codes write 1-13 ("01".."13"); a grade written twice is one. */
export function yearLevel(value: string | undefined): Checked<number | undefined> {
  const levels = new Set(list(value).map((grade) => (/^\d{1,2}$/.test(grade) ? Number(grade) : NaN)));
  if (levels.size === 0) return ok(undefined);
  if ([...levels].some((level) => !(level >= 1 && level <= 13))) return refused('must name a year level 01-13');
  // A pupil is in one year level: which of several the file means, it does not say.
  const [level] = levels;
  return levels.size === 1 ? ok(level) : refused('names more than one year level; a pupil is in one');
}

/** A school's organisation number from its identifier: 9 digits, with Brønnøysund's optional NO prefix. */
export function organisationNumber(value: string | undefined): Checked<string | undefined> {
  const trimmed = (value ?? '').trim().replace(/\s/g, '');
  if (trimmed.length === 0) return ok(undefined);
  const digits = /^(?:NO)?(\d{9})(?:MVA)?$/.exec(trimmed)?.[1];
  return digits ? ok(digits) : refused('is not a 9-digit organisation number');
}
