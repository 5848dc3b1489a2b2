import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RosterArchive } from '../../lib/roster-import/roster-archive.js';
import type { SourcedIdSet } from '../../lib/roster-import/roster-id-set.js';
import { readManifest } from '../../lib/roster-import/roster-manifest.js';
import { readRosterAndDirectory } from '../../lib/roster-import/roster-read-order.js';
import { discardRoster } from '../../lib/roster-import/roster-reader.js';
import { DirectorySnapshot, type SnapshotDocument } from '../../lib/roster-import/roster-snapshot.js';
import { rosterBlobs } from '../../lib/roster-import/roster-uploads.js';
import { bootstrapAdminToken, registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { rosterFiles, tamper, upload, zip, type RosterSet } from './oneroster-fixture.js';

const M = '5002';
const CONTEXT = { municipalityId: M, today: '2026-11-30', identityType: 'Feide', listedRejections: 100 };

/** One school, two pupils in one class; a delta set also enrolls a pupil only the directory holds. */
function set(extraEnrollment = false): RosterSet {
  return {
    municipalityId: M,
    schools: [{ sourcedId: 'sch-1', name: 'Lademoen skole', organisationNumber: '974500002' }],
    people: ['s-1', 's-2'].map((sourcedId) => ({ sourcedId, givenName: 'Elev', familyName: 'Trondheim', role: 'student' as const, school: 'sch-1', grade: '07', birthDate: '2014-05-05' })),
    classes: [{ sourcedId: 'c-1', title: '7A', school: 'sch-1', term: 'sy-2027' }],
    enrollments: [
      { sourcedId: 'e-1', classSourcedId: 'c-1', userSourcedId: 's-1', role: 'student' },
      ...(extraEnrollment ? [{ sourcedId: 'e-stored', classSourcedId: 'c-1', userSourcedId: 's-stored', role: 'student' as const }] : []),
    ],
  };
}

/** The directory: the school, a pupil the files do not list, and one they do. */
const stored = (): SnapshotDocument[] => [
  { id: 'x', type: 'school', municipalityId: M, sourcedId: 'sch-1', name: 'Lademoen skole', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' } as SnapshotDocument,
  ...['s-stored', 's-2'].map((sourcedId) => ({ id: `doc-${sourcedId}`, type: 'student', municipalityId: M, sourcedId, givenName: 'Elev', familyName: 'Lagret', birthDate: '2014-05-05', schoolId: 'x', yearLevel: 7, status: 'active', groupIds: [], teacherIds: [], createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' }) as SnapshotDocument),
];

describe('the roster and the directory: read in the order that holds the least', () => {
  let test: TestApp;
  let admin: string;

  beforeAll(async () => {
    test = await startTestApp();
    await registerMunicipality(test, M);
    admin = await bootstrapAdminToken(test, M);
  }, 60_000);

  afterAll(async () => {
    await test?.close();
  });

  async function opened(content: Uint8Array) {
    const blob = await upload(test, admin, M, content);
    const { archive } = await RosterArchive.openUpload(rosterBlobs(test.app.services.blob).getBlobClient(blob));
    return archive;
  }

  it('bulk files: the directory is read after the roster, numbered by the roster’s user ids (each sourcedId kept once)', async () => {
    const archive = await opened(zip(rosterFiles(set())));
    const asked: { userIds: SourcedIdSet | undefined; fileUsersRead: boolean }[] = [];
    const { roster, snapshot } = await readRosterAndDirectory(archive, await readManifest(archive, 'bulk'), CONTEXT, (userIds) => {
      asked.push({ userIds, fileUsersRead: userIds?.has('s-1') === true && userIds.has('s-2') });
      return DirectorySnapshot.of([stored()], userIds);
    });
    try {
      expect(asked).toEqual([{ userIds: roster.userIds, fileUsersRead: true }]);
      // The file's users keep their ordinals; the stored pupil the file does not list follows them, kept once.
      expect(Array.from({ length: roster.userIds.size }, (_, ordinal) => roster.userIds.idAt(ordinal))).toEqual(['s-1', 's-2', 's-stored']);
      expect([...snapshot.students.keys()]).toEqual(['s-2', 's-stored']);
      expect(snapshot.students.get('s-stored')?.id).toBe('doc-s-stored');
      expect([...roster.users.keys()]).toEqual(['s-1', 's-2']); // the roster's rows are still the file's alone
    } finally {
      snapshot.discard();
      discardRoster(roster);
      archive.close();
    }
  });

  it('a delta: the directory is read first, with ids of its own, and the read asks it about a pupil the files do not list', async () => {
    const archive = await opened(zip(rosterFiles(set(true), 'delta')));
    const asked: (SourcedIdSet | undefined)[] = [];
    const { roster, snapshot } = await readRosterAndDirectory(archive, await readManifest(archive, 'delta'), CONTEXT, (userIds) => {
      asked.push(userIds);
      return DirectorySnapshot.of([stored()], userIds);
    });
    try {
      expect(asked).toEqual([undefined]);
      expect(roster.rejections).toEqual([]); // e-stored names s-stored, whom only the directory holds
      expect(roster.userIds.has('s-stored')).toBe(true); // enrolled by the delta
      expect(snapshot.students.has('s-stored')).toBe(true);
    } finally {
      snapshot.discard();
      discardRoster(roster);
      archive.close();
    }
  });

  it('frees the roster when the directory read after it fails, and the snapshot when the files read after it fail (fault injected: a directory outage; a damaged zip entry)', async () => {
    const bulk = await opened(zip(rosterFiles(set())));
    let shared: SourcedIdSet | undefined;
    const outage = readRosterAndDirectory(bulk, await readManifest(bulk, 'bulk'), CONTEXT, (userIds) => {
      shared = userIds;
      return Promise.reject(new Error('injected directory outage'));
    });
    await expect(outage).rejects.toThrow('injected directory outage');
    expect(shared?.size).toBe(0); // the roster's ids, freed with the roster
    bulk.close();

    const files = zip(rosterFiles(set(true), 'delta'));
    const broken = await opened(tamper(files, 'enrollments.csv', { data: (bytes) => bytes.fill(0xff) }));
    let snapshot: DirectorySnapshot | undefined;
    const reading = readRosterAndDirectory(broken, await readManifest(broken, 'delta'), CONTEXT, async () => (snapshot = await DirectorySnapshot.of([stored()])));
    await expect(reading).rejects.toThrow();
    expect(snapshot?.students.size).toBe(0);
    broken.close();
  });
});
