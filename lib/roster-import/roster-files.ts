/**
 * The OneRoster 1.2 CSV files the import reads, the rows each may hold and the columns it reads
 * of each. The row limits are some five times what the largest municipality (Oslo: ~90,000
 * pupils) exports, and bound what the reader keeps on the V8 heap per row of the small files
 * (schools, sessions) and of a delta's deletions. Every other
 * column is dropped by the parser before a row exists (csv-parse skips a column named
 * `false`), so data the platform must not hold — the special categories and everything else
 * of demographics.csv but the birth date and the row's own status and date (P19) — is never
 * read, let alone stored.
 */
export const ROSTER_FILES = {
  orgs: {
    file: 'orgs.csv',
    maxRows: 10_000,
    required: ['sourcedId', 'name', 'type'],
    optional: ['status', 'dateLastModified', 'identifier', 'parentSourcedId'],
  },
  academicSessions: {
    file: 'academicSessions.csv',
    maxRows: 10_000,
    required: ['sourcedId', 'title', 'type', 'startDate', 'endDate'],
    optional: ['status', 'dateLastModified', 'parentSourcedId', 'schoolYear'],
  },
  users: {
    file: 'users.csv',
    maxRows: 500_000,
    required: ['sourcedId', 'givenName', 'familyName'],
    // `role` and `orgSourcedIds` are OneRoster 1.1's place for roles, still written by many exporters.
    optional: ['status', 'dateLastModified', 'enabledUser', 'userIds', 'email', 'grades', 'primaryOrgSourcedId', 'role', 'orgSourcedIds'],
  },
  roles: {
    file: 'roles.csv',
    maxRows: 1_000_000,
    required: ['sourcedId', 'userSourcedId', 'role', 'orgSourcedId'],
    optional: ['status', 'dateLastModified', 'roleType', 'beginDate', 'endDate'],
  },
  demographics: {
    file: 'demographics.csv',
    maxRows: 500_000,
    required: ['sourcedId'],
    optional: ['status', 'dateLastModified', 'birthDate'],
  },
  classes: {
    file: 'classes.csv',
    maxRows: 200_000,
    required: ['sourcedId', 'title', 'schoolSourcedId'],
    optional: ['status', 'dateLastModified', 'grades', 'termSourcedIds'],
  },
  enrollments: {
    file: 'enrollments.csv',
    maxRows: 5_000_000,
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
