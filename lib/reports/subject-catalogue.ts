import catalogue from './subject-catalogue.json' with { type: 'json' };

/**
 * Subject names for the national subject codes of grunnskolen, from the shipped catalogue
 * (`subject-catalogue.json`, which states its source and date). A report prints
 * "NOR0214 Norsk hovedmål, skriftlig"; a code the catalogue does not know stays the code alone.
 */
const NAMES: ReadonlyMap<string, string> = new Map(catalogue.subjects.map((subject) => [subject.code, subject.name]));

export function subjectNameOf(code: string): string | undefined {
  return NAMES.get(code);
}

/** The names of the given codes that the catalogue knows, by code. */
export function subjectNamesOf(codes: Iterable<string>): Record<string, string> {
  const names: Record<string, string> = {};
  for (const code of [...new Set(codes)].sort()) {
    const name = NAMES.get(code);
    if (name !== undefined) names[code] = name;
  }
  return names;
}
