/**
 * Text a person types (names, subjects, messages) is stored in NFC, so that "Å" typed as A
 * plus a ring compares, sorts and exports as the "Å" it looks like. Refused, with a message
 * that names the class and never the value: characters that are invisible or that change
 * how other text is shown. They spoof names in lists and exports (a right-to-left override
 * reverses what follows), rewrite terminals and logs (escape sequences), or break encoders
 * downstream (an unpaired surrogate is valid JSON but not valid UTF-8).
 */
import { z } from 'zod';

export interface TextRules {
  max: number;
  min?: number;
}

/** C0 (NUL, ESC...), DEL and C1, and the line and paragraph separators. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
/** Multiline text keeps tab, line feed and the line and paragraph separators; CR LF becomes LF first. */
const CONTROL_EXCEPT_LINES = /(?![\t\n])\p{Cc}/u;
const BIDI_FORMATTING = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const INVISIBLE = /[\u200B-\u200D\u2060-\u2064\uFEFF]/u;
/** A zero-width joiner between two emoji (with their variation selector or skin tone) makes one emoji: "👩‍💻". */
const EMOJI_JOINER = /(?<=\p{Extended_Pictographic}\uFE0F?[\u{1F3FB}-\u{1F3FF}]?)\u200D(?=\p{Extended_Pictographic})/gu;
const UNPAIRED_SURROGATE = /\p{Cs}/u;

function hostileCharacters(value: string, multiline: boolean): string | undefined {
  if (UNPAIRED_SURROGATE.test(value)) return 'must be well-formed Unicode (it holds an unpaired surrogate)';
  if ((multiline ? CONTROL_EXCEPT_LINES : CONTROL).test(value)) {
    return multiline ? 'must not contain control characters' : 'must be one line without control characters';
  }
  if (BIDI_FORMATTING.test(value)) return 'must not contain bidirectional formatting characters';
  if (INVISIBLE.test(value.replace(EMOJI_JOINER, ''))) return 'must not contain invisible characters (zero-width spaces, joiners, word joiners)';
  return undefined;
}

function text({ max, min = 1 }: TextRules, multiline: boolean): z.ZodString {
  const normalised = z.string().normalize('NFC');
  return (multiline ? normalised.overwrite((value) => value.replace(/\r\n/g, '\n')) : normalised)
    .trim()
    .min(min)
    .max(max)
    .superRefine((value, context) => {
      const refused = hostileCharacters(value, multiline);
      if (refused) context.addIssue({ code: 'custom', message: refused });
    });
}

/**
 * What `nameText(rules)` makes of a value it accepts (NFC, trimmed), or undefined where it
 * refuses it: the same rules without zod's objects per call, for a caller that checks names
 * by the hundred thousand (a roster import) and asks zod only for the reason of a refusal.
 */
export function acceptedName(value: string, { max, min = 1 }: TextRules): string | undefined {
  const cleaned = value.normalize('NFC').trim();
  return cleaned.length >= min && cleaned.length <= max && hostileCharacters(cleaned, false) === undefined ? cleaned : undefined;
}

/** A person's or a thing's name: one line. */
export function nameText(rules: TextRules): z.ZodString {
  return text(rules, false);
}

/**
 * Every schema `freeText` built: people write other people's names into free text, so the
 * erasure's name sweep must reach each such field, and a test finds the fields through this
 * set (a field built here that no privacy provider declares fails it).
 */
export const FREE_TEXT_SCHEMAS = new WeakSet<z.ZodType>();

/** Free text: one line (a subject), or with `multiline` several lines and tabs (a message). */
export function freeText(rules: TextRules & { multiline?: boolean }): z.ZodString {
  const schema = text(rules, rules.multiline ?? false);
  FREE_TEXT_SCHEMAS.add(schema);
  return schema;
}
