import { createHash } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { StoredGroup } from '../directory/groups.js';
import type { StoredSchool } from '../directory/schools.js';
import type { StoredStudent } from '../directory/students.js';
import type { StoredUser } from '../directory/users.js';
import { identityKey } from '../identity/identity-key.js';
import type { TokenIdentity } from '../identity/principal.js';
import { partitionQuery } from '../paging/query-page.js';
import type { SourcedIdSet } from './roster-id-set.js';
import { RecordTable, type RecordCodec } from './roster-record-table.js';
import type { StoredStaff } from './roster-reader.js';
import { ADMIN_ROLES, isFileRole } from './roster-roles.js';

/** What the import adds to the directory's documents: the OneRoster id they came from. */
export interface RosterSourced {
  sourcedId?: string;
  _etag?: string;
}

export type SnapshotSchool = StoredSchool & RosterSourced;
export type SnapshotUser = StoredUser & RosterSourced;
export type SnapshotStudent = StoredStudent & RosterSourced;
/** A group the roster closed keeps its history: `closedAt`, no members. */
export type SnapshotGroup = StoredGroup & RosterSourced & { schoolYear?: string; closedAt?: string };

export type SnapshotDocument = SnapshotSchool | SnapshotUser | SnapshotStudent | SnapshotGroup;

export type SourcedKind = 'school' | 'user' | 'student' | 'group';

/**
 * The municipality's directory as the import compares against it: one query in its one
 * partition (no cross-partition query), every school, staff user, student and group, keyed
 * by OneRoster sourcedId (and staff also by sign-in identity, so a user registered through
 * the API is recognised, not duplicated). Staff, students and groups grow with the
 * municipality: they are spilled `RecordTable`s of JSON (past their most recent 256 KiB, in a
 * temporary file), filled page by page as the query answers; `discard` frees them once the
 * plan is made. At ten times the size the directory is 123,000 documents and 110 MB of
 * JSON, which held in `Map`s made the re-import's peak RSS 1.8x that of the size.
 */
export class DirectorySnapshot {
  readonly schools = new Map<string, SnapshotSchool>();
  readonly users: RecordTable<SnapshotUser>;
  readonly usersByIdentity = spilledDocuments<SnapshotUser>();
  readonly students: RecordTable<SnapshotStudent>;
  readonly groups = spilledDocuments<SnapshotGroup>();
  /** Groups made through the API: their memberships are part of each student's mirror too. */
  readonly unsourcedGroups: SnapshotGroup[] = [];
  /** Students made through the API (no sourcedId), by document id: a group the import changes may list them, and their mirror follows it. */
  readonly unsourcedStudents = spilledDocuments<SnapshotStudent>();

  /** `userIds`: the roster's user ids, to number staff and students by (each sourcedId is then kept once); the snapshot's own when not given. */
  constructor(userIds?: SourcedIdSet) {
    this.users = spilledDocuments(userIds);
    this.students = spilledDocuments(userIds);
  }

  static load(directory: Container, municipalityId: string, userIds?: SourcedIdSet): Promise<DirectorySnapshot> {
    return DirectorySnapshot.of(directoryPages(directory, municipalityId), userIds);
  }

  /** The snapshot of these documents, without Cosmos DB's system properties other than the ETag (a replace does not write them). */
  static async of(pages: AsyncIterable<SnapshotDocument[]> | Iterable<SnapshotDocument[]>, userIds?: SourcedIdSet): Promise<DirectorySnapshot> {
    const snapshot = new DirectorySnapshot(userIds);
    try {
      for await (const page of pages) for (const document of page) snapshot.add(withoutUnusedSystemProperties(document));
    } catch (error) {
      snapshot.discard();
      throw error;
    }
    return snapshot;
  }

  private add(document: SnapshotDocument): void {
    const id = document.sourcedId;
    switch (document.type) {
      case 'school':
        if (id) this.schools.set(id, document);
        break;
      case 'user':
        if (id) this.users.set(id, document);
        this.usersByIdentity.set(identityKey(document.identity), document);
        break;
      case 'student':
        if (id) this.students.set(id, document);
        else this.unsourcedStudents.set(document.id, document);
        break;
      case 'group':
        if (id) this.groups.set(id, document);
        else this.unsourcedGroups.push(document);
        break;
    }
  }

  knows(kind: 'school' | 'user' | 'group', sourcedId: string): boolean {
    if (kind === 'user') return this.users.has(sourcedId) || this.students.has(sourcedId);
    return (kind === 'school' ? this.schools : this.groups).has(sourcedId);
  }

  /** A stored staff user as a delta's roles rows change them: their schools by sourcedId (those registered through the API have none) and the roles a file grants. */
  staffOf(sourcedId: string): StoredStaff | undefined {
    const user = this.users.get(sourcedId);
    if (!user) return undefined;
    const schools = this.schoolSourcedIds(user.schoolIds);
    return {
      schools,
      unsourcedSchools: new Set(user.schoolIds).size - schools.length,
      roles: user.roles.filter(isFileRole),
      admin: user.roles.some((role) => ADMIN_ROLES.includes(role)),
    };
  }

  /**
   * The schools (by sourcedId) of a stored user (staff or student) or group; undefined when the
   * directory does not hold it. A school registered through the API has no sourcedId and is left
   * out: a class a file names is never at one.
   */
  schoolsOf(kind: 'user' | 'group', sourcedId: string): string[] | undefined {
    if (kind === 'group') {
      const group = this.groups.get(sourcedId);
      return group && this.schoolSourcedIds([group.schoolId]);
    }
    const staff = this.users.get(sourcedId);
    if (staff) return this.schoolSourcedIds(staff.schoolIds);
    const student = this.students.get(sourcedId);
    return student && this.schoolSourcedIds([student.schoolId]);
  }

  private schoolSourcedIdsById?: Map<string, string>;

  private schoolSourcedIds(ids: readonly string[]): string[] {
    this.schoolSourcedIdsById ??= new Map([...this.schools].map(([sourcedId, school]) => [school.id, sourcedId]));
    return ids.flatMap((id) => this.schoolSourcedIdsById?.get(id) ?? []);
  }

  userByIdentity(identity: TokenIdentity): SnapshotUser | undefined {
    return this.usersByIdentity.get(identityKey(identity));
  }

  /** Frees the spilled documents and their files (the snapshot is empty after it). Safe to call more than once. */
  discard(): void {
    for (const documents of [this.users, this.usersByIdentity, this.students, this.unsourcedStudents, this.groups]) documents.clear();
  }
}

/**
 * Documents per page of the directory query. Cosmos DB answers 100 when the request does not
 * say; the local emulator answers the whole result in one response (at ten times the issue's
 * size, 110 MB of JSON parsed at once), so the size is asked for, and is the same in both.
 */
export const DIRECTORY_PAGE_SIZE = 100;

/** The municipality's directory in the pages one single-partition query answers with (the same requests as fetching it all). */
export async function* directoryPages(directory: Container, municipalityId: string): AsyncGenerator<SnapshotDocument[]> {
  const { spec, partitionKey } = partitionQuery({ where: "c.type IN ('school', 'user', 'student', 'group')" }, [['municipalityId', municipalityId]]);
  const query = directory.items.query<SnapshotDocument>(spec, { partitionKey, maxItemCount: DIRECTORY_PAGE_SIZE });
  while (query.hasMoreResults()) yield (await query.fetchNext()).resources;
}

/** A stored document as its JSON: the snapshot gives back a parsed copy on each `get`. */
const JSON_DOCUMENTS: RecordCodec<unknown> = {
  write(document, out) {
    out.string(JSON.stringify(document));
  },
  read(input) {
    return JSON.parse(input.string()) as unknown;
  },
};

function spilledDocuments<T>(ids?: SourcedIdSet): RecordTable<T> {
  return new RecordTable(JSON_DOCUMENTS as RecordCodec<T>, { spilled: true, ids });
}

const UNUSED_SYSTEM_PROPERTIES = ['_rid', '_self', '_ts', '_attachments'] as const;

function withoutUnusedSystemProperties<T extends object>(document: T): T {
  const fields = document as Record<string, unknown>;
  for (const key of UNUSED_SYSTEM_PROPERTIES) delete fields[key];
  return document;
}

/**
 * The id a OneRoster record gets here: derived from municipality, kind and sourcedId (a
 * name-based UUID), so a retried batch writes the same documents and references between
 * files resolve without a lookup.
 */
export function derivedId(municipalityId: string, kind: SourcedKind, sourcedId: string): string {
  const hash = createHash('sha256').update(`oneroster:${municipalityId}:${kind}:${sourcedId}`).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  // The template alone is a tree of slices of `hex` (~370 bytes a held id); copied out once it is one flat string (~60).
  // The planner holds an id per student and group and lists them in every membership.
  return Buffer.from(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`, 'latin1').toString('latin1');
}
