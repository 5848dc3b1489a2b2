import { strToU8, zipSync, type Zippable } from 'fflate';
import type { TestApp } from '../support/test-app.js';

/** CSV text from rows; fields with a comma, quote or line break are quoted, as exporters write them. */
export function csv(rows: readonly (readonly string[])[]): string {
  return `${rows.map((row) => row.map((value) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value)).join(',')).join('\r\n')}\r\n`;
}

export type RosterFiles = Record<string, string | Uint8Array>;

export function zip(files: RosterFiles): Uint8Array {
  const entries: Zippable = {};
  for (const [name, content] of Object.entries(files)) entries[name] = typeof content === 'string' ? strToU8(content) : content;
  return zipSync(entries, { level: 6 });
}

export function manifest(mode: 'bulk' | 'delta', files: readonly string[], version = '1.2'): string {
  const all = ['academicSessions', 'categories', 'classes', 'classResources', 'courses', 'courseResources', 'demographics', 'enrollments', 'lineItemLearningObjectiveIds', 'lineItems', 'lineItemScoreScales', 'orgs', 'resources', 'results', 'roles', 'scoreScales', 'userProfiles', 'users'];
  return csv([
    ['propertyName', 'value'],
    ['manifest.version', '1.0'],
    ['oneroster.version', version],
    ...all.map((name) => [`file.${name}`, files.includes(name) ? mode : 'absent']),
    ['source.systemName', 'Test SIS'],
  ]);
}

export interface School {
  sourcedId: string;
  name: string;
  organisationNumber: string;
}

export interface Person {
  sourcedId: string;
  givenName: string;
  familyName: string;
  role: 'student' | 'teacher' | 'administrator';
  school: string;
  grade?: string;
  birthDate?: string;
  feide?: string;
  status?: string;
}

export interface Class {
  sourcedId: string;
  title: string;
  school: string;
  term: string;
}

export interface Enrollment {
  sourcedId: string;
  classSourcedId: string;
  userSourcedId: string;
  role: 'student' | 'teacher';
  beginDate?: string;
  endDate?: string;
  status?: string;
}

export interface RosterSet {
  municipalityId: string;
  schools: School[];
  foreignSchools?: School[];
  people: Person[];
  classes: Class[];
  enrollments: Enrollment[];
}

/** Sessions: the school year that runs now (2026-2027) and the last one, which has ended. */
export const SESSIONS = [
  ['sourcedId', 'status', 'dateLastModified', 'title', 'type', 'startDate', 'endDate', 'parentSourcedId', 'schoolYear'],
  ['sy-2027', 'active', '2026-06-01T00:00:00Z', '2026-2027', 'schoolYear', '2026-08-17', '2027-06-20', '', '2027'],
  ['t-2026h', 'active', '2026-06-01T00:00:00Z', 'Høst 2026', 'term', '2026-08-17', '2026-12-20', 'sy-2027', '2027'],
  ['sy-2026', 'active', '2025-06-01T00:00:00Z', '2025-2026', 'schoolYear', '2025-08-18', '2026-06-19', '', '2026'],
];

/** A OneRoster 1.2 bulk set as a SIS exports it: roles in roles.csv, birth dates (and more) in demographics.csv. */
export function rosterFiles(set: RosterSet, mode: 'bulk' | 'delta' = 'bulk'): RosterFiles {
  const orgs = [
    ['sourcedId', 'status', 'dateLastModified', 'name', 'type', 'identifier', 'parentSourcedId'],
    [`district-${set.municipalityId}`, 'active', '2026-06-01T00:00:00Z', `Kommune ${set.municipalityId}`, 'district', set.municipalityId, ''],
    ...set.schools.map((school) => [school.sourcedId, 'active', '2026-06-01T00:00:00Z', school.name, 'school', school.organisationNumber, `district-${set.municipalityId}`]),
    ...(set.foreignSchools?.length ? [['district-foreign', 'active', '2026-06-01T00:00:00Z', 'Annen kommune', 'district', '4601', '']] : []),
    ...(set.foreignSchools ?? []).map((school) => [school.sourcedId, 'active', '2026-06-01T00:00:00Z', school.name, 'school', school.organisationNumber, 'district-foreign']),
  ];
  const users = [
    ['sourcedId', 'status', 'dateLastModified', 'enabledUser', 'username', 'userIds', 'givenName', 'familyName', 'middleName', 'identifier', 'email', 'sms', 'phone', 'agentSourcedIds', 'grades', 'password', 'userMasterIdentifier', 'resourceSourcedIds', 'preferredGivenName', 'preferredMiddleName', 'preferredFamilyName', 'primaryOrgSourcedId', 'pronouns'],
    ...set.people.map((person) => [
      person.sourcedId, person.status ?? 'active', '2026-06-01T00:00:00Z', 'true', person.sourcedId,
      person.feide ? `{Feide:${person.feide}}` : '', person.givenName, person.familyName, '', '',
      person.role === 'student' ? '' : `${person.sourcedId}@skole.example`, '', '', '', person.grade ?? '', '', '', '', '', '', '', person.school, '',
    ]),
  ];
  const roles = [
    ['sourcedId', 'status', 'dateLastModified', 'userSourcedId', 'roleType', 'role', 'beginDate', 'endDate', 'orgSourcedId', 'userProfileSourcedId'],
    ...set.people.filter((person) => person.status !== 'tobedeleted').map((person) => [`role-${person.sourcedId}`, 'active', '2026-06-01T00:00:00Z', person.sourcedId, 'primary', person.role, '', '', person.school, '']),
  ];
  // Columns the import must never read (P19): sex and the race/ethnicity flags.
  const demographics = [
    ['sourcedId', 'status', 'dateLastModified', 'birthDate', 'sex', 'americanIndianOrAlaskaNative', 'asian', 'blackOrAfricanAmerican', 'nativeHawaiianOrOtherPacificIslander', 'white', 'demographicRaceTwoOrMoreRaces', 'hispanicOrLatinoEthnicity', 'countryOfBirthCode', 'stateOfBirthAbbreviation', 'cityOfBirth', 'publicSchoolResidenceStatus'],
    ...set.people.filter((person) => person.birthDate).map((person) => [person.sourcedId, 'active', '2026-06-01T00:00:00Z', person.birthDate ?? '', 'female', 'false', 'false', 'false', 'false', 'true', 'false', 'false', 'NO', '', 'Bergen', '']),
  ];
  const classes = [
    ['sourcedId', 'status', 'dateLastModified', 'title', 'grades', 'courseSourcedId', 'classCode', 'classType', 'location', 'schoolSourcedId', 'termSourcedIds', 'subjects', 'subjectCodes', 'periods'],
    ...set.classes.map((cls) => [cls.sourcedId, 'active', '2026-06-01T00:00:00Z', cls.title, '', '', '', 'homeroom', '', cls.school, cls.term, '', '', '']),
  ];
  const enrollments = [
    ['sourcedId', 'status', 'dateLastModified', 'classSourcedId', 'schoolSourcedId', 'userSourcedId', 'role', 'primary', 'beginDate', 'endDate'],
    ...set.enrollments.map((enrollment) => [enrollment.sourcedId, enrollment.status ?? 'active', '2026-06-01T00:00:00Z', enrollment.classSourcedId, '', enrollment.userSourcedId, enrollment.role, 'false', enrollment.beginDate ?? '', enrollment.endDate ?? '']),
  ];
  return {
    'manifest.csv': manifest(mode, ['orgs', 'academicSessions', 'users', 'roles', 'demographics', 'classes', 'enrollments']),
    'orgs.csv': csv(orgs),
    'academicSessions.csv': csv(SESSIONS),
    'users.csv': csv(users),
    'roles.csv': csv(roles),
    'demographics.csv': csv(demographics),
    'classes.csv': csv(classes),
    'enrollments.csv': csv(enrollments),
  };
}

/** A student as the API answers (`GET …/students`), in the fields the roster tests read. */
export interface StudentView {
  id: string;
  givenName: string;
  familyName: string;
  status: string;
  leftAt?: string;
  schoolId: string;
  groupIds: string[];
  teacherIds: string[];
}

/** A group as the API answers (`GET …/groups`). */
export interface GroupView {
  id: string;
  name: string;
  schoolYear?: string;
  studentIds: string[];
  teacherIds: string[];
  closedAt?: string;
}

/** Uploads a zip the way a client does: a URL from the API, then a PUT straight to Blob Storage. */
export async function upload(test: TestApp, token: string, municipalityId: string, content: Uint8Array): Promise<string> {
  const issued = await test.request<{ blob: string; uploadUrl: string }>('POST', `/municipalities/${municipalityId}/roster-uploads`, { token });
  if (issued.status !== 201) throw new Error(`roster-uploads: ${issued.status} ${issued.text}`);
  const put = await fetch(issued.body.uploadUrl, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/zip' }, body: Buffer.from(content) });
  if (put.status !== 201) throw new Error(`upload: ${put.status} ${await put.text()}`);
  return issued.body.blob;
}

export interface RunView {
  id: string;
  status: string;
  failure: string | null;
  files: Record<string, { read: number; created: number; updated: number; unchanged: number; leaver: number; closed: number; kept: number; rejected: number }>;
  rejected: number;
  rejections: { file: string; line: number; column: string; reason: string }[];
  samples: { file: string; line: number | null; kind: string; change: string; fields: string[] }[];
  batches: number;
  appliedBatches: number;
  failedWrites: number;
  operations: { reads: number; queries: number; writes: number };
  requestedBy: string;
}

/** Starts an import and follows its Location until the run has finished. */
export async function importRoster(test: TestApp, token: string, municipalityId: string, content: Uint8Array, options: { mode?: 'bulk' | 'delta'; dryRun?: boolean } = {}): Promise<RunView> {
  const blob = await upload(test, token, municipalityId, content);
  const started = await test.request<RunView>('POST', `/municipalities/${municipalityId}/roster-imports`, { token, body: { blob, mode: options.mode ?? 'bulk', dryRun: options.dryRun ?? false } });
  if (started.status !== 202) throw new Error(`roster-imports: ${started.status} ${started.text}`);
  return follow(test, token, started.headers.get('location') ?? '');
}

export async function follow(test: TestApp, token: string, location: string): Promise<RunView> {
  const path = location.replace(/^\/api/, '');
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const run = await test.request<RunView>('GET', path, { token });
    if (run.status !== 200) throw new Error(`run: ${run.status} ${run.text}`);
    if (['completed', 'failed', 'superseded', 'expired'].includes(run.body.status)) return run.body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the import did not finish');
}

export interface EntryTampering {
  crc32?: number;
  compressedSize?: number;
  uncompressedSize?: number;
  /** Where the central directory says the entry's local header is. */
  localHeaderOffset?: number;
  /** Changes the entry's stored (compressed) bytes in place. */
  data?: (bytes: Uint8Array) => void;
}

export interface DeclaredEntry {
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
}

/** A copy of `zip` whose end record puts the central directory at `offset`. */
export function movedCentralDirectory(zip: Uint8Array, offset: number): Uint8Array {
  const bytes = zip.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(bytes.length - 22 + 16, offset, true); // fflate writes no zip comment
  return bytes;
}

/** Where one entry's central-directory record starts in `zip`. */
function centralRecord(zip: Uint8Array, fileName: string): { view: DataView; offset: number } {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const end = zip.length - 22; // fflate writes no zip comment
  if (view.getUint32(end, true) !== 0x06054b50) throw new Error('no end of central directory record');
  let offset = view.getUint32(end + 16, true);
  for (let index = 0; index < view.getUint16(end + 10, true); index += 1) {
    const nameLength = view.getUint16(offset + 28, true);
    if (new TextDecoder().decode(zip.subarray(offset + 46, offset + 46 + nameLength)) === fileName) return { view, offset };
    offset += 46 + nameLength + view.getUint16(offset + 30, true) + view.getUint16(offset + 32, true);
  }
  throw new Error(`the zip has no entry ${fileName}`);
}

/** An entry's checksum and sizes as the zip declares them. */
export function declared(zip: Uint8Array, fileName: string): DeclaredEntry {
  const { view, offset } = centralRecord(zip, fileName);
  return { crc32: view.getUint32(offset + 16, true), compressedSize: view.getUint32(offset + 20, true), uncompressedSize: view.getUint32(offset + 24, true) };
}

/**
 * A copy of `zip` with one entry's central-directory record or stored bytes changed: a zip as a
 * broken exporter or an attacker leaves it (a wrong checksum, sizes that lie, damaged deflate
 * data). yauzl trusts the central directory, so that is where the lies go.
 */
export function tamper(zip: Uint8Array, fileName: string, change: EntryTampering): Uint8Array {
  const bytes = zip.slice();
  const { view, offset } = centralRecord(bytes, fileName);
  if (change.data) {
    const local = view.getUint32(offset + 42, true);
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    change.data(bytes.subarray(dataStart, dataStart + view.getUint32(offset + 20, true)));
  }
  if (change.crc32 !== undefined) view.setUint32(offset + 16, change.crc32, true);
  if (change.compressedSize !== undefined) view.setUint32(offset + 20, change.compressedSize, true);
  if (change.uncompressedSize !== undefined) view.setUint32(offset + 24, change.uncompressedSize, true);
  if (change.localHeaderOffset !== undefined) view.setUint32(offset + 42, change.localHeaderOffset, true);
  return bytes;
}
