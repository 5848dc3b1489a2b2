/**
 * The OneRoster 1.2 CSV files the import reads, and the columns it reads of each. Every other
 * column is dropped by the parser before a row exists (csv-parse skips a column named
 * `false`), so data the platform must not hold — the special categories and everything else
 * of demographics.csv but the birth date (P19) — is never read, let alone stored.
 */
export const ROSTER_FILES = {
  orgs: {
    file: 'orgs.csv',
    required: ['sourcedId', 'name', 'type'],
    optional: ['status', 'dateLastModified', 'identifier', 'parentSourcedId'],
  },
  academicSessions: {
    file: 'academicSessions.csv',
    required: ['sourcedId', 'title', 'type', 'startDate', 'endDate'],
    optional: ['status', 'dateLastModified', 'parentSourcedId', 'schoolYear'],
  },
  users: {
    file: 'users.csv',
    required: ['sourcedId', 'givenName', 'familyName'],
    // `role` and `orgSourcedIds` are OneRoster 1.1's place for roles, still written by many exporters.
    optional: ['status', 'dateLastModified', 'enabledUser', 'userIds', 'email', 'grades', 'primaryOrgSourcedId', 'role', 'orgSourcedIds'],
  },
  roles: {
    file: 'roles.csv',
    required: ['sourcedId', 'userSourcedId', 'role', 'orgSourcedId'],
    optional: ['status', 'dateLastModified', 'roleType', 'beginDate', 'endDate'],
  },
  demographics: {
    file: 'demographics.csv',
    required: ['sourcedId'],
    optional: ['status', 'dateLastModified', 'birthDate'],
  },
  classes: {
    file: 'classes.csv',
    required: ['sourcedId', 'title', 'schoolSourcedId'],
    optional: ['status', 'dateLastModified', 'grades', 'termSourcedIds'],
  },
  enrollments: {
    file: 'enrollments.csv',
    required: ['sourcedId', 'classSourcedId', 'userSourcedId', 'role'],
    optional: ['status', 'dateLastModified', 'schoolSourcedId', 'beginDate', 'endDate'],
  },
} as const;

/** Decides whether a zip is a OneRoster set at all, and which files it holds (roster-manifest.ts). */
export const MANIFEST_FILE = 'manifest.csv';

export type RosterFileKey = keyof typeof ROSTER_FILES;
export type RosterFileName = (typeof ROSTER_FILES)[RosterFileKey]['file'];
export const ROSTER_FILE_KEYS = Object.keys(ROSTER_FILES) as RosterFileKey[];

const KNOWN_FILES: ReadonlySet<string> = new Set([MANIFEST_FILE, ...Object.values(ROSTER_FILES).map(({ file }) => file)]);

/**
 * How a refusal names a zip entry: by its OneRoster file name when it is one the import
 * knows, otherwise "an entry". An entry's name is the uploader's text, so it never reaches a
 * problem, a run or a log.
 */
export function entryLabel(fileName: string): string {
  return KNOWN_FILES.has(fileName) ? fileName : 'an entry';
}

/** Only the declared columns survive parsing; the rest are `false`, which csv-parse skips. */
export function readColumns(key: RosterFileKey, header: readonly string[]): (string | false)[] {
  const known = new Set<string>([...ROSTER_FILES[key].required, ...ROSTER_FILES[key].optional]);
  return header.map((name) => (known.has(name) ? name : false));
}

export function missingColumns(key: RosterFileKey, header: readonly string[]): string[] {
  return ROSTER_FILES[key].required.filter((name) => !header.includes(name));
}
