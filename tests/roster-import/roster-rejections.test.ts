import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAdminToken, cosmosOperations, registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';
import { csv, importRoster, manifest, rosterFiles, upload, zip, SESSIONS, type RosterFiles } from './oneroster-fixture.js';

const M = '1103';
const OTHER = '4601';

const ORGS = [
  ['sourcedId', 'status', 'dateLastModified', 'name', 'type', 'identifier', 'parentSourcedId'],
  ['district', 'active', '', 'Stavanger kommune', 'district', M, ''],
  ['sch-a', 'active', '', 'Tasta skole', 'school', '974600001', 'district'],
  ['district-other', 'active', '', 'Bergen kommune', 'district', '4601', ''],
  ['sch-foreign', 'active', '', 'Nordnes skole', 'school', '974600002', 'district-other'],
];

const USERS = [
  ['sourcedId', 'status', 'givenName', 'familyName', 'grades', 'email', 'userIds'],
  ['s-ok', 'active', 'Ola', 'Nordmann', '03', '', ''], // line 2
  ['s-bad-date', 'active', 'Kari', 'Nordmann', '03', '', ''], // line 3
  ['s-ok', 'active', 'Ola', 'Kopi', '03', '', ''], // line 4: duplicate sourcedId
  ['s-formula', 'active', '=HYPERLINK("http://evil.example","klikk")', 'Nordmann', '03', '', ''], // line 5
  ['s-plus', 'active', 'Per', '+4791234567', '03', '', ''], // line 6
  ['s-minus', 'active', '-1+1', 'Nordmann', '03', '', ''], // line 7
  ['s-at', 'active', '@SUM(A1)', 'Nordmann', '03', '', ''], // line 8
  ['s-two', 'active', 'Tove', 'Tokommune', '03', '', ''], // line 9: schools in two municipalities
  ['s-foreign', 'active', 'Frida', 'Fremmed', '03', '', ''], // line 10: a school of another municipality
  ['s-nowhere', 'active', 'Nils', 'Nowhere', '03', '', ''], // line 11: an org that does not exist
  ['t-no-id', 'active', 'Tor', 'Lærer', '', 'tor@skole.example', '{LDAP:tor}'], // line 12: no Feide identity
];

const ROLES = [
  ['sourcedId', 'userSourcedId', 'roleType', 'role', 'orgSourcedId'],
  ...['s-ok', 's-bad-date', 's-formula', 's-plus', 's-minus', 's-at', 's-two'].map((id) => [`r-${id}`, id, 'primary', 'student', 'sch-a']),
  ['r-s-two-2', 's-two', 'secondary', 'student', 'sch-foreign'],
  ['r-s-foreign', 's-foreign', 'primary', 'student', 'sch-foreign'],
  ['r-s-nowhere', 's-nowhere', 'primary', 'student', 'sch-nowhere'],
  ['r-t-no-id', 't-no-id', 'primary', 'teacher', 'sch-a'],
];

const DEMOGRAPHICS = [
  ['sourcedId', 'birthDate'],
  ['s-ok', '2018-01-01'],
  ['s-bad-date', '2018-02-30'], // line 3
];

const CLASSES = [
  ['sourcedId', 'title', 'schoolSourcedId', 'termSourcedIds'],
  ['c-3a', '3A', 'sch-a', 'sy-2027'],
  ['c-x', '3X', 'sch-missing', 'sy-2027'], // line 3: unknown school
];

const ENROLLMENTS = [
  ['sourcedId', 'classSourcedId', 'userSourcedId', 'role', 'beginDate', 'endDate'],
  ['e-ok', 'c-3a', 's-ok', 'student', '', ''],
  ['e-ghost-class', 'c-ghost', 's-ok', 'student', '', ''], // line 3
  ['e-ghost-user', 'c-3a', 's-ghost', 'student', '', ''], // line 4
  ['e-bad-end', 'c-3a', 's-ok', 'student', '2026-08-01', '31.12.2026'], // line 5
];

function badSet(): RosterFiles {
  return {
    'manifest.csv': manifest('bulk', ['orgs', 'academicSessions', 'users', 'roles', 'demographics', 'classes', 'enrollments']),
    'orgs.csv': csv(ORGS),
    'academicSessions.csv': csv(SESSIONS),
    'users.csv': csv(USERS),
    'roles.csv': csv(ROLES),
    'demographics.csv': csv(DEMOGRAPHICS),
    'classes.csv': csv(CLASSES),
    'enrollments.csv': csv(ENROLLMENTS),
  };
}

describe('roster import: bad input gets a clear answer and loses nothing', () => {
  let test: TestApp;
  let admin: string;

  beforeAll(async () => {
    test = await startTestApp();
    await registerMunicipality(test, M);
    await registerMunicipality(test, OTHER);
    admin = await bootstrapAdminToken(test, M);
  }, 60_000);

  afterAll(async () => {
    await test?.close();
  });

  it('reports every rejected row with file, line, column and reason, and imports the rest', async () => {
    const run = await importRoster(test, admin, M, zip(badSet()));
    expect(run.status).toBe('completed');
    const at = (file: string, line: number) => run.rejections.filter((rejection) => rejection.file === file && rejection.line === line).map(({ column, reason }) => ({ column, reason }));
    expect(at('orgs.csv', 5)).toEqual([{ column: 'parentSourcedId', reason: expect.stringContaining('not in this municipality') }]);
    expect(at('demographics.csv', 3)).toEqual([{ column: 'birthDate', reason: 'is not a valid date (YYYY-MM-DD)' }]);
    expect(at('users.csv', 4)).toEqual([{ column: 'sourcedId', reason: 'duplicates the sourcedId of an earlier row' }]);
    expect(at('users.csv', 5)).toEqual([{ column: 'givenName', reason: expect.stringContaining('CSV injection') }]);
    expect(at('users.csv', 6)).toEqual([{ column: 'familyName', reason: expect.stringContaining('CSV injection') }]);
    expect(at('users.csv', 7)).toEqual([{ column: 'givenName', reason: expect.stringContaining('CSV injection') }]);
    expect(at('users.csv', 8)).toEqual([{ column: 'givenName', reason: expect.stringContaining('CSV injection') }]);
    expect(at('users.csv', 9)).toEqual([{ column: 'sourcedId', reason: expect.stringContaining('two municipalities') }]);
    expect(at('users.csv', 10)).toEqual([{ column: 'sourcedId', reason: expect.stringContaining('not in this municipality') }]);
    expect(at('users.csv', 11)).toEqual([{ column: 'sourcedId', reason: expect.stringContaining('refers to an org') }]);
    expect(at('users.csv', 12)).toEqual([{ column: 'userIds', reason: 'has no login identity of type Feide' }]);
    // The bad birth date leaves the pupil without one: refused, not invented.
    expect(at('users.csv', 3)).toEqual([{ column: 'sourcedId', reason: expect.stringContaining('no birthDate') }]);
    expect(at('classes.csv', 3)).toEqual([{ column: 'schoolSourcedId', reason: expect.stringContaining('not in orgs.csv') }]);
    expect(at('enrollments.csv', 3)).toEqual([{ column: 'classSourcedId', reason: expect.stringContaining('class not in classes.csv') }]);
    expect(at('enrollments.csv', 4)).toEqual([{ column: 'userSourcedId', reason: expect.stringContaining('user not in users.csv') }]);
    expect(at('enrollments.csv', 5)).toEqual([{ column: 'endDate', reason: 'is not a valid date (YYYY-MM-DD)' }]);
    expect(run.files['users.csv']).toMatchObject({ read: 11, created: 1, rejected: 10 });
    // No reason repeats a value from the file.
    expect(JSON.stringify(run.rejections)).not.toMatch(/HYPERLINK|4791234567|SUM\(|2018-02-30|31\.12\.2026|Tokommune/);

    const students = await test.request<{ items: { givenName: string; groupIds: string[] }[] }>('GET', `/municipalities/${M}/students?limit=50`, { token: admin });
    expect(students.body.items.map((student) => student.givenName)).toEqual(['Ola']);
    expect(students.body.items[0]?.groupIds).toHaveLength(1);
  });

  it('names a rejected row by the line it starts on, also after quoted fields with line breaks, and finds a formula behind whitespace a spreadsheet skips', async () => {
    const files = badSet();
    const users: [string, string, string, string][] = [
      ['s-ok', 'Ola', 'Nordmann', 'første linje\r\nandre\r\ntredje'], // lines 2-4
      ['s-nbsp', '\u00A0=1+1', 'Nordmann', ''], // line 5
      ['s-tab', ' \t=HYPERLINK("http://evil.example")', 'Nordmann', ''], // line 6
      ['s-newline', '\n=1+1', 'Nordmann', ''], // lines 7-8
      ['s-bom', '\uFEFF=1', 'Nordmann', ''], // line 9
      ['s-ideographic', '\u3000@SUM(A1)', 'Nordmann', ''], // line 10
      ['s-lf', 'Kari', 'Nordmann', 'a\nb'], // lines 11-12
      ['s-separator', 'Per', '\u2028+4791234567', ''], // line 13
    ];
    files['users.csv'] = csv([['sourcedId', 'status', 'givenName', 'familyName', 'grades', 'note'], ...users.map(([id, given, family, note]) => [id, 'active', given, family, '03', note])]);
    files['roles.csv'] = csv([['sourcedId', 'userSourcedId', 'roleType', 'role', 'orgSourcedId'], ...users.map(([id]) => [`r-${id}`, id, 'primary', 'student', 'sch-a'])]);
    files['demographics.csv'] = csv([['sourcedId', 'birthDate'], ...users.map(([id]) => [id, '2018-01-01'])]);
    files['enrollments.csv'] = csv([ENROLLMENTS[0] as string[]]);
    const run = await importRoster(test, admin, M, zip(files), { dryRun: true });
    expect(run.status).toBe('completed');
    const rejected = run.rejections.filter((rejection) => rejection.file === 'users.csv').map(({ line, column, reason }) => ({ line, column, reason }));
    const injection = (line: number, column = 'givenName') => ({ line, column, reason: expect.stringContaining('CSV injection') });
    expect(rejected).toEqual([injection(5), injection(6), injection(7), injection(9), injection(10), injection(13, 'familyName')]);
  });

  const rejectionsOf = (run: { rejections: { file: string; line: number; column: string; reason: string }[] }, file: string) =>
    run.rejections.filter((rejection) => rejection.file === file).map(({ line, column, reason }) => ({ line, column, reason }));

  it('refuses a school whose district row was rejected (its district may be another municipality), and the pupils there', async () => {
    const files = badSet();
    // Line 4: the other municipality's district, rejected for its status; line 5: its school.
    files['orgs.csv'] = csv([...ORGS.slice(0, 3), ['district-other', 'Active', '', 'Bergen kommune', 'district', OTHER, ''], ORGS[4] as string[]]);
    files['users.csv'] = csv([USERS[0] as string[], ['s-foreign', 'active', 'Frida', 'Fremmed', '03', '', '']]);
    files['roles.csv'] = csv([ROLES[0] as string[], ['r-s-foreign', 's-foreign', 'primary', 'student', 'sch-foreign']]);
    files['demographics.csv'] = csv([['sourcedId', 'birthDate'], ['s-foreign', '2018-01-01']]);
    files['enrollments.csv'] = csv([ENROLLMENTS[0] as string[]]);
    const run = await importRoster(test, admin, M, zip(files), { dryRun: true });
    expect(rejectionsOf(run, 'orgs.csv')).toEqual([
      { line: 4, column: 'status', reason: 'must be active or tobedeleted' },
      { line: 5, column: 'parentSourcedId', reason: 'refers to an org whose own row was rejected, or is under one' },
    ]);
    expect(rejectionsOf(run, 'users.csv')).toEqual([{ line: 2, column: 'sourcedId', reason: expect.stringContaining('refers to an org') }]);
    expect((run.files['orgs.csv']?.created ?? 0) + (run.files['orgs.csv']?.unchanged ?? 0)).toBe(1); // Tasta skole only
  });

  it('does not refuse the roles and demographics rows of a user it does not import (a guardian) or whose users.csv row it refused', async () => {
    const files = badSet();
    files['users.csv'] = csv([USERS[0] as string[], ['s-ok', 'active', 'Ola', 'Nordmann', '03', '', ''], ['g-1', 'active', 'Gro', 'Foresatt', '', '', ''], ['s-formula', 'active', '=1+1', 'Nordmann', '03', '', '']]);
    files['roles.csv'] = csv([ROLES[0] as string[], ['r-s-ok', 's-ok', 'primary', 'student', 'sch-a'], ['r-g-1', 'g-1', 'primary', 'guardian', 'sch-a'], ['r-s-formula', 's-formula', 'primary', 'student', 'sch-a']]);
    files['demographics.csv'] = csv([['sourcedId', 'birthDate'], ['s-ok', '2018-01-01'], ['g-1', '1985-01-01'], ['s-formula', '2018-01-01']]);
    files['enrollments.csv'] = csv([ENROLLMENTS[0] as string[]]);
    const run = await importRoster(test, admin, M, zip(files), { dryRun: true });
    expect(rejectionsOf(run, 'users.csv')).toEqual([{ line: 4, column: 'givenName', reason: expect.stringContaining('CSV injection') }]);
    expect(rejectionsOf(run, 'roles.csv')).toEqual([]);
    expect(rejectionsOf(run, 'demographics.csv')).toEqual([]);
  });

  it('takes a user’s repeated roles rows once, and refuses rows past 64 roles or orgs of one user', async () => {
    const files = badSet();
    files['users.csv'] = csv([USERS[0] as string[], ['s-ok', 'active', 'Ola', 'Nordmann', '03', '', ''], ['t-many', 'active', 'Tor', 'Lærer', '', 'tor@skole.example', '{Feide:tor@skole.example}']]);
    const repeated = Array.from({ length: 2000 }, (_, index) => [`r-s-ok-${index}`, 's-ok', index === 0 ? 'primary' : 'secondary', 'student', 'sch-a']);
    // Lines 2002-2071: the teacher's first org, then 69 more; the 65th distinct org (line 2066) is one too many.
    const orgs = Array.from({ length: 70 }, (_, index) => [`r-t-${index}`, 't-many', index === 0 ? 'primary' : 'secondary', 'teacher', index === 0 ? 'sch-a' : `sch-${index}`]);
    files['roles.csv'] = csv([ROLES[0] as string[], ...repeated, ...orgs]);
    files['demographics.csv'] = csv([['sourcedId', 'birthDate'], ['s-ok', '2018-01-01']]);
    files['enrollments.csv'] = csv([ENROLLMENTS[0] as string[]]);
    const run = await importRoster(test, admin, M, zip(files), { dryRun: true });
    expect(rejectionsOf(run, 'roles.csv')).toEqual([2066, 2067, 2068, 2069, 2070, 2071].map((line) => ({ line, column: 'userSourcedId', reason: 'gives one user more than 64 roles or orgs' })));
    // The pupil's 2,000 rows name one role at one school: imported as one (the teacher's made-up schools are unknown).
    expect(rejectionsOf(run, 'users.csv')).toEqual([{ line: 3, column: 'sourcedId', reason: expect.stringContaining('refers to an org') }]);
  });

  it('refuses every staff row of a login identity that another row of the file also gives, and imports neither person', async () => {
    const files = badSet();
    const teacher = (id: string, name: string, identity: string) => [id, 'active', name, 'Lærer', '', `${id}@skole.example`, `{Feide:${identity}}`];
    files['users.csv'] = csv([
      USERS[0] as string[],
      teacher('t-1', 'Tone', 'same@skole.example'), // line 2
      teacher('t-2', 'Truls', 'same@skole.example'), // line 3
      teacher('t-3', 'Tiril', 'tiril@skole.example'), // line 4
      teacher('t-4', 'Tage', 'same@skole.example'), // line 5
    ]);
    files['roles.csv'] = csv([ROLES[0] as string[], ...['t-1', 't-2', 't-3', 't-4'].map((id) => [`r-${id}`, id, 'primary', 'teacher', 'sch-a'])]);
    files['demographics.csv'] = csv([['sourcedId', 'birthDate']]);
    files['enrollments.csv'] = csv([ENROLLMENTS[0] as string[], ['e-t-2', 'c-3a', 't-2', 'teacher', '', '']]);
    const run = await importRoster(test, admin, M, zip(files));
    expect(run.status).toBe('completed');
    const reason = (other: number) => `is also the login identity of the row on line ${other}; a login identity belongs to one user`;
    expect(rejectionsOf(run, 'users.csv').sort((a, b) => a.line - b.line)).toEqual([
      { line: 2, column: 'userIds', reason: reason(3) },
      { line: 3, column: 'userIds', reason: reason(2) },
      { line: 5, column: 'userIds', reason: reason(2) },
    ]);
    expect(rejectionsOf(run, 'enrollments.csv')).toEqual([{ line: 2, column: 'userSourcedId', reason: 'refers to a user whose users.csv row was rejected' }]);
    const staff = await test.request('GET', `/municipalities/${M}/users?limit=100`, { token: admin });
    const names = (staff.body?.items as { name: string }[]).map((user) => user.name);
    expect(names).toContain('Tiril Lærer');
    expect(names.filter((name) => ['Tone Lærer', 'Truls Lærer', 'Tage Lærer'].includes(name))).toEqual([]);
  });

  async function refusedAtStart(files: RosterFiles | Uint8Array, mode: 'bulk' | 'delta' = 'bulk') {
    const blob = await upload(test, admin, M, files instanceof Uint8Array ? files : zip(files));
    const response = await test.request('POST', `/municipalities/${M}/roster-imports`, { token: admin, body: { blob, mode } });
    return { status: response.status, detail: (response.body?.errors as { field: string; message: string }[] | undefined)?.[0], writes: cosmosOperations(response).write };
  }

  it('refuses a file that is not OneRoster 1.2 before anything is written', async () => {
    const good = rosterFiles({ municipalityId: M, schools: [], people: [], classes: [], enrollments: [] });
    const { 'manifest.csv': _manifest, ...noManifest } = good;
    const cases: [string, RosterFiles | Uint8Array, 'bulk' | 'delta', RegExp][] = [
      ['no manifest', noManifest, 'bulk', /no manifest\.csv/],
      ['OneRoster 1.1', { ...good, 'manifest.csv': manifest('bulk', ['orgs', 'users'], '1.1') }, 'bulk', /oneroster\.version must be 1\.2/],
      ['a delta file started as bulk', { ...good, 'manifest.csv': manifest('delta', ['orgs', 'users']) }, 'bulk', /file\.orgs is delta, but this is a bulk import/],
      ['a listed file missing', { 'manifest.csv': manifest('bulk', ['orgs', 'users']), 'orgs.csv': good['orgs.csv'] as string }, 'bulk', /lists users\.csv, which the zip does not hold/],
      ['not a zip', new TextEncoder().encode('sourcedId,name\n1,x\n'), 'bulk', /not a zip/],
      ['a zip bomb (compression ratio)', zipSync({ 'manifest.csv': new TextEncoder().encode(good['manifest.csv'] as string), 'users.csv': new Uint8Array(8 * 1024 * 1024) }, { level: 9 }), 'bulk', /compressed more than 200:1/],
      ['too many entries', zip(Object.fromEntries(Array.from({ length: 40 }, (_, index) => [`extra-${index}.csv`, 'a\n1\n']))), 'bulk', /more than 32 entries/],
    ];
    const runsBefore = await test.request<{ items: unknown[] }>('GET', `/municipalities/${M}/roster-imports`, { token: admin });
    for (const [label, files, mode, reason] of cases) {
      const refused = await refusedAtStart(files, mode);
      expect({ label, status: refused.status, field: refused.detail?.field }).toEqual({ label, status: 400, field: 'body/blob' });
      expect(refused.detail?.message, label).toMatch(reason);
      expect(refused.writes, label).toBe(0);
    }
    const runs = await test.request<{ items: unknown[] }>('GET', `/municipalities/${M}/roster-imports`, { token: admin });
    expect(runs.body.items).toHaveLength(runsBefore.body.items.length); // no run for a refused file
  });

  it('refuses an upload of another municipality and one that was never made', async () => {
    const otherAdmin = await bootstrapAdminToken(test, OTHER);
    const theirs = await upload(test, otherAdmin, OTHER, zip(badSet()));
    const response = await test.request('POST', `/municipalities/${M}/roster-imports`, { token: admin, body: { blob: theirs, mode: 'bulk' } });
    expect(response.status).toBe(400);
    const never = await test.request('POST', `/municipalities/${M}/roster-imports`, { token: admin, body: { blob: `${M}/uploads/00000000-0000-4000-8000-000000000000.zip`, mode: 'bulk' } });
    expect(never.status).toBe(400);
    expect(never.body.errors[0].message).toMatch(/names no uploaded file/);
  });

  it('a file whose CSV lacks a required column fails the run with the reason and writes nothing to the directory', async () => {
    const files = badSet();
    files['users.csv'] = csv([['sourcedId', 'familyName'], ['s-1', 'Nordmann']]);
    const before = await test.request<{ items: unknown[] }>('GET', `/municipalities/${M}/students?limit=50`, { token: admin });
    const run = await importRoster(test, admin, M, zip(files));
    expect(run.status).toBe('failed');
    expect(run.failure).toMatch(/users\.csv lacks the column givenName/);
    expect(run.operations.writes).toBe(0);
    const after = await test.request<{ items: unknown[] }>('GET', `/municipalities/${M}/students?limit=50`, { token: admin });
    expect(after.body.items).toEqual(before.body.items);
  });
});
