import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAdminToken, registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { importRoster, rosterFiles, zip, type RosterSet } from './oneroster-fixture.js';
import { openTemporaryFiles } from './open-temporary-files.js';

const M = '0301';
/** Enough pupils that the plan step's tables, duplicate checks and a re-import's snapshot outgrow their buffers and go to temporary files. */
const PUPILS = 8000;

/** The import, and the most temporary files seen open while it ran. */
async function importWatched(test: TestApp, token: string, file: Uint8Array) {
  let most = 0;
  const watch = setInterval(() => (most = Math.max(most, openTemporaryFiles().length)), 2);
  try {
    const run = await importRoster(test, token, M, file);
    return { run, most };
  } finally {
    clearInterval(watch);
  }
}

function largeSchool(): RosterSet {
  const classes = Array.from({ length: PUPILS / 40 }, (_, index) => ({ sourcedId: `c-${index}`, title: `Klasse ${index}`, school: 'sch-a', term: 'sy-2027' }));
  return {
    municipalityId: M,
    schools: [{ sourcedId: 'sch-a', name: 'Bjølsen skole', organisationNumber: '974589001' }],
    people: [
      { sourcedId: 't-1', givenName: 'Tone', familyName: 'Lærer', role: 'teacher', school: 'sch-a', feide: 'tone@a.example' },
      ...Array.from({ length: PUPILS }, (_, index) => ({ sourcedId: `pupil-${index}`, givenName: `Elev${index}`, familyName: 'Nordmann', role: 'student' as const, school: 'sch-a', grade: '05', birthDate: '2016-03-01' })),
    ],
    classes,
    enrollments: [
      ...classes.map((cls) => ({ sourcedId: `e-t-${cls.sourcedId}`, classSourcedId: cls.sourcedId, userSourcedId: 't-1', role: 'teacher' as const })),
      ...Array.from({ length: PUPILS }, (_, index) => ({ sourcedId: `e-pupil-${index}`, classSourcedId: `c-${Math.floor(index / 40)}`, userSourcedId: `pupil-${index}`, role: 'student' as const })),
    ],
  };
}

describe('roster import: the plan step’s temporary files', () => {
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

  it('are all closed when a plan completes, a re-import’s too, and when its file is refused part way', async () => {
    const files = rosterFiles(largeSchool());
    const first = await importWatched(test, admin, zip(files));
    expect(first.run.status, JSON.stringify(first.run.failure)).toBe('completed');
    expect(first.run.files['users.csv']).toMatchObject({ created: PUPILS + 1 });
    expect(first.most).toBeGreaterThan(0); // the plan did spill: what is checked below is not vacuous
    expect(openTemporaryFiles()).toEqual([]);

    const again = await importWatched(test, admin, zip(files));
    expect(again.run).toMatchObject({ status: 'completed', batches: 0 });
    expect(again.most).toBeGreaterThan(0);
    expect(openTemporaryFiles()).toEqual([]);

    // The snapshot and users.csv are read (to files), then enrollments.csv is refused: a quote left open.
    const broken = { ...files, 'enrollments.csv': `${String(files['enrollments.csv']).trimEnd()}\r\n"e-open,c-1,pupil-1,student\r\n` };
    const refused = await importWatched(test, admin, zip(broken));
    expect(refused.run.status).toBe('failed');
    expect(refused.run.failure).toMatch(/^The file was refused: .*enrollments\.csv/);
    expect(refused.most).toBeGreaterThan(0);
    expect(openTemporaryFiles()).toEqual([]);
  }, 120_000);
});
