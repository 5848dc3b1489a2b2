import { createHash } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { StoredGroup } from '../directory/groups.js';
import type { StoredSchool } from '../directory/schools.js';
import type { StoredStudent } from '../directory/students.js';
import type { StoredUser } from '../directory/users.js';
import { identityKey } from '../identity/identity-key.js';
import type { TokenIdentity } from '../identity/principal.js';
import { partitionQuery } from '../paging/query-page.js';

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
 * the API is recognised, not duplicated).
 */
export class DirectorySnapshot {
  readonly schools = new Map<string, SnapshotSchool>();
  readonly users = new Map<string, SnapshotUser>();
  readonly usersByIdentity = new Map<string, SnapshotUser>();
  readonly students = new Map<string, SnapshotStudent>();
  readonly groups = new Map<string, SnapshotGroup>();
  /** Groups made through the API: their memberships are part of each student's mirror too. */
  readonly unsourcedGroups: SnapshotGroup[] = [];

  static load(directory: Container, municipalityId: string): Promise<DirectorySnapshot> {
    return DirectorySnapshot.of(directoryPages(directory, municipalityId));
  }

  /**
   * The snapshot of these documents. Each is kept with its repeated values shared: a parsed
   * query result holds every group id in a student's `groupIds`, every student id in a
   * group's `studentIds`, every timestamp and municipality id as a string of its own (at 10x
   * the size, millions of copies of 150,000 values); and without Cosmos DB's system
   * properties other than the ETag (a replace does not write them).
   */
  static async of(pages: AsyncIterable<SnapshotDocument[]> | Iterable<SnapshotDocument[]>): Promise<DirectorySnapshot> {
    const snapshot = new DirectorySnapshot();
    const shared = new Map<string, string>();
    const share = (value: string) => {
      const found = shared.get(value);
      if (found !== undefined) return found;
      shared.set(value, value);
      return value;
    };
    // Page by page, as the query answers: a page's documents are compacted before the next arrives.
    for await (const page of pages) for (const document of page) snapshot.add(compacted(document, share));
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

  userByIdentity(identity: TokenIdentity): SnapshotUser | undefined {
    return this.usersByIdentity.get(identityKey(identity));
  }
}

/** The municipality's directory in the pages one single-partition query answers with (the same requests as fetching it all). */
async function* directoryPages(directory: Container, municipalityId: string): AsyncGenerator<SnapshotDocument[]> {
  const { spec, partitionKey } = partitionQuery({ where: "c.type IN ('school', 'user', 'student', 'group')" }, [['municipalityId', municipalityId]]);
  const query = directory.items.query<SnapshotDocument>(spec, { partitionKey });
  while (query.hasMoreResults()) yield (await query.fetchNext()).resources;
}

/** Values that repeat across a municipality's documents (ids that other documents list, timestamps, kinds). */
const REPEATED_VALUES = ['id', 'type', 'municipalityId', 'schoolId', 'status', 'schoolYear', 'createdAt', 'updatedAt', 'closedAt', 'leftAt'] as const;
const REPEATED_LISTS = ['schoolIds', 'groupIds', 'teacherIds', 'studentIds', 'roles'] as const;
const UNUSED_SYSTEM_PROPERTIES = ['_rid', '_self', '_ts', '_attachments'] as const;

function compacted<T extends object>(document: T, share: (value: string) => string): T {
  const fields = document as Record<string, unknown>;
  for (const key of REPEATED_VALUES) {
    const value = fields[key];
    if (typeof value === 'string') fields[key] = share(value);
  }
  for (const key of REPEATED_LISTS) {
    const list = fields[key];
    if (!Array.isArray(list)) continue;
    for (const [index, value] of list.entries()) if (typeof value === 'string') list[index] = share(value);
  }
  // Set to undefined, not deleted: a deleted property turns the object into a (larger) dictionary.
  for (const key of UNUSED_SYSTEM_PROPERTIES) if (key in fields) fields[key] = undefined;
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
