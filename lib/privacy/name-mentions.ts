/**
 * Finding an erased person's name in free text other people wrote (docs/name-sweep.md has
 * the rule and its reasons). A mention is the full name or the first given name with the
 * family name, in any case, as whole words; a first name alone is never one, because
 * classmates share first names and the sweep must not blank out someone else.
 */

export type SubjectKind = 'student' | 'user';

/** What replaces a mention: the text keeps its sense, the person is gone. */
export const REDACTION_MARKERS: Readonly<Record<SubjectKind, string>> = { student: '[slettet elev]', user: '[slettet bruker]' };

/** The phrases that name one erased person, kept only while their erasure runs. */
export interface NamedSubject {
  kind: SubjectKind;
  phrases: string[];
}

const words = (value: string) => value.normalize('NFC').trim().split(/\s+/u).filter((word) => word.length > 0);

/**
 * The phrases that count as naming the person: the full name, and the first given name with
 * the family name (and with the last part of a family name of several parts). Fewer than two
 * words is no phrase at all: one word alone names too many people.
 */
export function namePhrases(person: { givenName: string; familyName: string } | { name: string }): string[] {
  const [given, family] = 'name' in person ? splitFullName(person.name) : [words(person.givenName), words(person.familyName)];
  if (given.length === 0 || family.length === 0) return [];
  const first = given[0] as string;
  const phrases = [[...given, ...family], [first, ...family], [first, family[family.length - 1] as string]].map((parts) => parts.join(' '));
  return [...new Set(phrases)];
}

/** A staff user's one name field: the last word is the family name, the rest are given names. */
function splitFullName(name: string): [string[], string[]] {
  const all = words(name);
  return all.length < 2 ? [[], []] : [all.slice(0, -1), all.slice(-1)];
}

/** A letter, combining mark or digit: what a word is made of, in any script (not `\b`, which is ASCII). */
const WORD = String.raw`[\p{L}\p{M}\p{N}]`;
/** Outside a word, and not inside a hyphenated name either ("Anne-Kari Nordmann-Hansen" is someone else). */
const BEFORE = String.raw`(?<!${WORD}|${WORD}[-\u2010\u2011])`;
/** A genitive s or apostrophe may follow ("Kari Nordmanns bok"); then the word must end. */
const AFTER = String.raw`(?=(?:s|['\u2019]s?)?(?!${WORD}|[-\u2010\u2011]${WORD}))`;

// Only syntax characters: in a `u` pattern an escaped hyphen or apostrophe outside a class is an error.
const escape = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function patternOf(phrases: readonly string[]): RegExp | undefined {
  // Longest first, so a full name is replaced whole rather than from its shorter form.
  const alternatives = [...new Set(phrases)]
    .sort((a, b) => b.length - a.length)
    .map((phrase) => words(phrase).map(escape).join(String.raw`[\s\u00A0]+`));
  return alternatives.length === 0 ? undefined : new RegExp(`${BEFORE}(?:${alternatives.join('|')})${AFTER}`, 'giu');
}

export interface Redaction {
  text: string;
  mentions: number;
}

/** Finds and replaces the mentions of a set of erased people, students and staff apart (their markers differ). */
export class NameMatcher {
  private readonly patterns: { marker: string; pattern: RegExp }[];

  constructor(subjects: readonly NamedSubject[]) {
    this.patterns = (Object.keys(REDACTION_MARKERS) as SubjectKind[]).flatMap((kind) => {
      const pattern = patternOf(subjects.filter((subject) => subject.kind === kind).flatMap((subject) => subject.phrases));
      return pattern ? [{ marker: REDACTION_MARKERS[kind], pattern }] : [];
    });
  }

  /** The text with every mention replaced by its marker, and how many there were. */
  redact(text: string): Redaction {
    let mentions = 0;
    let result = text.normalize('NFC');
    for (const { marker, pattern } of this.patterns) {
      result = result.replace(pattern, () => {
        mentions += 1;
        return marker;
      });
    }
    return { text: mentions === 0 ? text : result, mentions };
  }

  count(text: string): number {
    return this.redact(text).mentions;
  }
}
