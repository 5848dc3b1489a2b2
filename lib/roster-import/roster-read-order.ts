import type { RosterArchive } from './roster-archive.js';
import type { RosterFileKey } from './roster-files.js';
import type { SourcedIdSet } from './roster-id-set.js';
import type { RosterModes } from './roster-manifest.js';
import { discardRoster, readRoster, type ReadContext, type Roster } from './roster-reader.js';
import type { DirectorySnapshot } from './roster-snapshot.js';

/** The file that lists each kind of record a row may refer to. */
const KIND_FILE = { school: 'orgs', user: 'users', group: 'classes' } as const satisfies Record<string, RosterFileKey>;

/**
 * Reads the roster and the directory it is compared with, in the order that holds the least.
 * A row may name a school, user or class that the file of that kind does not list only when
 * that file is a delta or absent (the directory may hold it); when all three are bulk, the read
 * asks nothing of the directory, so the directory is read after the roster and its staff and
 * students are numbered by the roster's user ids (`DirectorySnapshot.load`): a re-import's
 * stored students are most of the file's users, and their sourcedIds are kept once, not once
 * more for the snapshot, and the snapshot is not held while the files are read. Otherwise the
 * directory is read first, for the read to ask. Whatever is read is freed when the other read
 * fails; after that, the planner frees the roster, and the caller the snapshot.
 */
export async function readRosterAndDirectory(
  archive: RosterArchive,
  modes: RosterModes,
  context: Omit<ReadContext, 'known' | 'storedUser' | 'storedStaff' | 'storedSchools'>,
  loadDirectory: (userIds?: SourcedIdSet) => Promise<DirectorySnapshot>,
): Promise<{ roster: Roster; snapshot: DirectorySnapshot }> {
  if (Object.values(KIND_FILE).every((file) => modes[file] === 'bulk')) {
    const roster = await readRoster(archive, modes, { ...context, known: () => false, storedUser: () => undefined, storedStaff: () => undefined, storedSchools: () => undefined });
    try {
      return { roster, snapshot: await loadDirectory(roster.userIds) };
    } catch (error) {
      discardRoster(roster);
      throw error;
    }
  }
  const snapshot = await loadDirectory();
  try {
    const roster = await readRoster(archive, modes, {
      ...context,
      known: (kind, sourcedId) => modes[KIND_FILE[kind]] !== 'bulk' && snapshot.knows(kind, sourcedId),
      storedUser: (sourcedId) => (modes.users !== 'delta' ? undefined : snapshot.students.has(sourcedId) ? 'student' : snapshot.users.has(sourcedId) ? 'staff' : undefined),
      storedStaff: (sourcedId) => (modes.users !== 'delta' ? undefined : snapshot.staffOf(sourcedId)),
      storedSchools: (kind, sourcedId) => snapshot.schoolsOf(kind, sourcedId),
    });
    return { roster, snapshot };
  } catch (error) {
    snapshot.discard();
    throw error;
  }
}
