import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIRECTORY_PAGE_SIZE, directoryPages, DirectorySnapshot, type SnapshotDocument } from '../../lib/roster-import/roster-snapshot.js';
import { registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';

const M = '1834';
const STUDENTS = 2 * DIRECTORY_PAGE_SIZE + 50;

describe('the directory the import compares with, read from the local Cosmos DB server', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp();
    await registerMunicipality(test, M);
    const directory = test.app.services.cosmos.containers.directory;
    for (let n = 0; n < STUDENTS; n += 1) {
      await directory.items.create({ id: `pages-student-${n}`, type: 'student', municipalityId: M, sourcedId: `s-${n}`, status: 'active', groupIds: [], teacherIds: [] });
    }
  }, 120_000);

  afterAll(async () => {
    await test?.close();
  });

  it('arrives a page at a time, as Cosmos DB answers it, not as the whole directory in one response', async () => {
    const sizes: number[] = [];
    const ids = new Set<string>();
    for await (const page of directoryPages(test.app.services.cosmos.containers.directory, M)) {
      sizes.push(page.length);
      for (const document of page as (SnapshotDocument & { id: string })[]) ids.add(document.id);
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(DIRECTORY_PAGE_SIZE);
    expect(sizes.length).toBeGreaterThanOrEqual(3);
    expect([...ids].filter((id) => id.startsWith('pages-student-'))).toHaveLength(STUDENTS);
  });

  it('holds every student of every page in the snapshot', async () => {
    const snapshot = await DirectorySnapshot.load(test.app.services.cosmos.containers.directory, M);
    try {
      expect(snapshot.students.size).toBe(STUDENTS);
      expect(snapshot.students.get(`s-${STUDENTS - 1}`)?.id).toBe(`pages-student-${STUDENTS - 1}`);
    } finally {
      snapshot.discard();
    }
  });
});
