import { describe, expect, it } from 'vitest';
import { DEV_ISSUER } from '../../local/dev-issuer.js';
import { freshMunicipalities } from '../support/test-app.js';
import { csv, importRoster, manifest, rosterFiles, zip, SESSIONS, type RosterSet } from './oneroster-fixture.js';

const DAY = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);

const USERS_HEADER = ['sourcedId', 'status', 'enabledUser', 'userIds', 'givenName', 'familyName', 'email', 'grades', 'primaryOrgSourcedId'];
const ROLES_HEADER = ['sourcedId', 'status', 'userSourcedId', 'roleType', 'role', 'orgSourcedId', 'beginDate', 'endDate'];

/** A user row (1.2 layout) and its roles rows: `[role, org, beginDate?]`, the first one primary. */
interface Row {
  sourcedId: string;
  givenName?: string;
  familyName?: string;
  grades?: string;
  enabled?: string;
  primaryOrg?: string;
  roles: [role: string, org: string, beginDate?: string][];
}

describe('roster import: OneRoster files as school administration systems export them', () => {
  const app = freshMunicipalities('18', { env: { ROSTER_IDENTITY_ISSUER: DEV_ISSUER } });

  /** A municipality of its own, with imports of a bulk set of users and roles (`bulkSet`) and of any zip. */
  async function municipality() {
    const fresh = await app.fresh();
    return {
      ...fresh,
      bulk: async (rows: Row[], orgs: string[][] = []) => {
        const run = await importRoster(app.test, fresh.admin, fresh.municipalityId, bulkSet(fresh.municipalityId, rows, orgs));
        expect(run.status, run.failure ?? '').toBe('completed');
        return run;
      },
      /** Expects the run completed unless told it may fail: a refused file changes nothing, and "nothing changed" must not pass for that reason. */
      imported: async (content: Uint8Array, { mayFail = false } = {}) => {
        const run = await importRoster(app.test, fresh.admin, fresh.municipalityId, content);
        if (!mayFail) expect(run.status, run.failure ?? '').toBe('completed');
        return run;
      },
    };
  }

  /** A bulk set of orgs (ours: district `d`, schools `sch-a` and `sch-b`, plus `orgs`), users and their roles. */
  function bulkSet(municipalityId: string, rows: Row[], orgs: string[][] = []): Uint8Array {
    const users = rows.map((row) => [
      row.sourcedId,
      'active',
      row.enabled ?? 'true',
      row.roles.some(([role]) => role !== 'student') ? `{Feide:${row.sourcedId}-${municipalityId}@skole.example}` : '',
      row.givenName ?? `Navn ${row.sourcedId}`,
      row.familyName ?? 'Nordmann',
      row.roles.some(([role]) => role !== 'student') ? `${row.sourcedId}@skole.example` : '',
      row.grades ?? (row.roles.some(([role]) => role === 'student') ? '05' : ''),
      row.primaryOrg ?? row.roles[0]?.[1] ?? '',
    ]);
    const roles = rows.flatMap((row) => row.roles.map(([role, org, begin], index) => [`r-${row.sourcedId}-${index}`, 'active', row.sourcedId, index === 0 ? 'primary' : 'secondary', role, org, begin ?? '', '']));
    const demographics = rows.filter((row) => row.roles.some(([role]) => role === 'student')).map((row) => [row.sourcedId, '2016-04-01']);
    return zip({
      'manifest.csv': manifest('bulk', ['orgs', 'academicSessions', 'users', 'roles', 'demographics']),
      'orgs.csv': csv([
        ['sourcedId', 'name', 'type', 'identifier', 'parentSourcedId'],
        ['d', 'Kommunen', 'district', municipalityId, ''],
        ['sch-a', 'Lilleby skole', 'school', '974000101', 'd'],
        ['sch-b', 'Storeby skole', 'school', '974000102', 'd'],
        ...orgs,
      ]),
      'academicSessions.csv': csv(SESSIONS),
      'users.csv': csv([USERS_HEADER, ...users]),
      'roles.csv': csv([ROLES_HEADER, ...roles]),
      'demographics.csv': csv([['sourcedId', 'birthDate'], ...demographics]),
    });
  }

  it('refuses a bulk users.csv in the 1.2 layout when roles.csv is absent, before any write: every pupil would have become a leaver', async () => {
    const { municipalityId, imported, list } = await municipality();
    const set: RosterSet = {
      municipalityId,
      schools: [{ sourcedId: 'sch-a', name: 'Tasta skole', organisationNumber: '974600001' }],
      people: ['s-1', 's-2'].map((sourcedId) => ({ sourcedId, givenName: 'Elev', familyName: sourcedId, role: 'student' as const, school: 'sch-a', grade: '03', birthDate: '2018-01-01' })),
      classes: [],
      enrollments: [],
    };
    const full = rosterFiles(set);
    expect((await imported(zip(full))).status).toBe('completed');
    const run = await imported(zip({ 'manifest.csv': manifest('bulk', ['orgs', 'users']), 'orgs.csv': full['orgs.csv'] as string, 'users.csv': full['users.csv'] as string }), { mayFail: true });
    expect(run).toMatchObject({ status: 'failed', failure: expect.stringContaining('users.csv has no role column') });
    expect((await list<{ status: string }>('students')).map((student) => student.status)).toEqual(['active', 'active']);
  });

  it('places a school by the nearest district above it: a branch under another municipality’s school is refused, one under ours imported, and a district without a kommunenummer said so', async () => {
    const { bulk, list } = await municipality();
    const orgs = [
      ['d-other', 'Bergen kommune', 'district', '4601', ''],
      ['sch-x', 'Nordnes skole', 'school', '974600009', 'd-other'],
      ['sch-x-2', 'Nordnes skole avd. 2', 'school', '974600010', 'sch-x'],
      ['sch-a-2', 'Lilleby skole avd. 2', 'school', '974600011', 'sch-a'],
      ['d-blank', 'Uten nummer', 'district', '', ''],
      ['sch-blank', 'Blank skole', 'school', '974600012', 'd-blank'],
    ];
    const run = await bulk([{ sourcedId: 's-x', roles: [['student', 'sch-x-2']] }, { sourcedId: 's-a', roles: [['student', 'sch-a-2']] }], orgs);
    expect(run.rejections).toEqual([
      { file: 'orgs.csv', line: 6, column: 'parentSourcedId', reason: 'is a school not in this municipality (its district has another kommunenummer)' },
      { file: 'orgs.csv', line: 7, column: 'parentSourcedId', reason: 'is a school not in this municipality (its district has another kommunenummer)' },
      { file: 'orgs.csv', line: 10, column: 'parentSourcedId', reason: expect.stringContaining('district whose identifier (its kommunenummer) is empty') },
      { file: 'users.csv', line: 2, column: 'sourcedId', reason: 'belongs to a school not in this municipality' },
    ]);
    expect((await list<{ name: string }>('schools')).map((school) => school.name).sort()).toEqual(['Lilleby skole', 'Lilleby skole avd. 2', 'Storeby skole']);
    expect((await list<{ givenName: string }>('students')).map((student) => student.givenName)).toEqual(['Navn s-a']);
  });

  it('grants school-admin for 1.2’s siteAdministrator and principal, nothing for districtAdministrator or systemAdministrator, and a district org is no reason to refuse a teacher', async () => {
    const { bulk, list } = await municipality();
    const run = await bulk(
      [
        { sourcedId: 't-site', roles: [['siteAdministrator', 'sch-a']] },
        { sourcedId: 't-principal', roles: [['principal', 'sch-b']] },
        { sourcedId: 't-district', primaryOrg: 'd', roles: [['districtAdministrator', 'd'], ['teacher', 'sch-a']] },
        { sourcedId: 't-system', roles: [['systemAdministrator', 'd']] },
      ],
    );
    expect(run.rejections).toEqual([]);
    const staff = Object.fromEntries((await list<{ name: string; roles: string[] }>('users?limit=100')).map((user) => [user.name, user.roles]));
    expect(staff).toEqual({ 'First Admin': ['municipality-admin', 'data-admin'], 'Navn t-site Nordmann': ['school-admin'], 'Navn t-principal Nordmann': ['school-admin'], 'Navn t-district Nordmann': ['teacher'] });
  });

  it('takes siteAdministrator at one school and principal at another as the same role, not a conflict', async () => {
    const { bulk, list } = await municipality();
    const run = await bulk([{ sourcedId: 't-both', roles: [['siteAdministrator', 'sch-a'], ['principal', 'sch-b']] }]);
    expect(run.rejections).toEqual([]);
    expect((await list<{ name: string; roles: string[]; schoolIds: string[] }>('users?limit=100')).find((user) => user.name === 'Navn t-both Nordmann')).toMatchObject({ roles: ['school-admin'], schoolIds: [expect.any(String), expect.any(String)] });
  });

  it('takes a roles row that has not begun as no role yet: next year’s administrator post and next year’s school change nothing today', async () => {
    const { bulk, list } = await municipality();
    const run = await bulk(
      [
        { sourcedId: 't-1', roles: [['teacher', 'sch-a'], ['administrator', 'sch-b', day(30)]] },
        { sourcedId: 's-1', roles: [['student', 'sch-b', day(30)], ['student', 'sch-a']], primaryOrg: '' },
      ],
    );
    expect(run.rejections).toEqual([]);
    const schools = Object.fromEntries((await list<{ id: string; name: string }>('schools')).map((school) => [school.name, school.id]));
    expect((await list<{ name: string; roles: string[]; schoolIds: string[] }>('users?limit=100')).find((user) => user.name === 'Navn t-1 Nordmann')).toMatchObject({ roles: ['teacher'], schoolIds: [schools['Lilleby skole']] });
    expect((await list<{ schoolId: string }>('students'))[0]?.schoolId).toBe(schools['Lilleby skole']);
  });

  it('takes the roles still to come of a user with no role now: over the summer, a pupil between an ended role and next year’s stays a pupil', async () => {
    const { municipalityId, imported, list } = await municipality();
    const pupil = (roles: string[][]) =>
      zip({
        'manifest.csv': manifest('bulk', ['orgs', 'users', 'roles', 'demographics', 'classes', 'enrollments']),
        'orgs.csv': csv([['sourcedId', 'name', 'type', 'identifier', 'parentSourcedId'], ['d', 'Kommunen', 'district', municipalityId, ''], ['sch-a', 'Lilleby skole', 'school', '974000101', 'd']]),
        'users.csv': csv([USERS_HEADER, ['s-1', 'active', 'true', '', 'Ola', 'Sommer', '', '05', 'sch-a']]),
        'roles.csv': csv([ROLES_HEADER, ...roles]),
        'demographics.csv': csv([['sourcedId', 'birthDate'], ['s-1', '2016-04-01']]),
        'classes.csv': csv([['sourcedId', 'title', 'schoolSourcedId'], ['c-6a', '6A', 'sch-a']]),
        'enrollments.csv': csv([['sourcedId', 'classSourcedId', 'userSourcedId', 'role', 'beginDate'], ['e-6a', 'c-6a', 's-1', 'student', day(30)]]),
      });
    expect((await imported(pupil([['r-1', 'active', 's-1', 'primary', 'student', 'sch-a', '', '']]))).rejections).toEqual([]);
    const summer = await imported(pupil([['r-1', 'active', 's-1', 'primary', 'student', 'sch-a', '', day(-5)], ['r-2', 'active', 's-1', 'primary', 'student', 'sch-a', day(30), '']]));
    expect(summer.rejections).toEqual([]);
    expect(await list('students')).toEqual([expect.objectContaining({ familyName: 'Sommer', status: 'active' })]);
  });

  it('reports a row that repeats the sourcedId of a rejected row as a duplicate, and uses neither', async () => {
    const { municipalityId, imported, list } = await municipality();
    const files = {
      'manifest.csv': manifest('bulk', ['orgs', 'users', 'roles', 'demographics']),
      'orgs.csv': csv([['sourcedId', 'name', 'type', 'identifier', 'parentSourcedId'], ['d', 'Kommunen', 'district', municipalityId, ''], ['sch-a', 'Lilleby skole', 'school', '974000101', 'd']]),
      'users.csv': csv([USERS_HEADER, ['s-1', 'gone', 'true', '', 'Ola', 'Først', '', '05', 'sch-a'], ['s-1', 'active', 'true', '', 'Ola', 'Andre', '', '05', 'sch-a']]),
      'roles.csv': csv([ROLES_HEADER, ['r-1', 'active', 's-1', 'primary', 'student', 'sch-a', '', ''], ['r-1', 'active', 's-1', 'primary', 'student', 'sch-a', '', '2026-13-01']]),
      'demographics.csv': csv([['sourcedId', 'birthDate'], ['s-1', '2016-02-30'], ['s-1', '2016-04-01']]),
    };
    const run = await imported(zip(files));
    expect(run.rejections).toEqual([
      { file: 'users.csv', line: 2, column: 'status', reason: expect.any(String) },
      { file: 'users.csv', line: 3, column: 'sourcedId', reason: 'duplicates the sourcedId of an earlier row' },
      { file: 'roles.csv', line: 3, column: 'sourcedId', reason: 'duplicates the sourcedId of an earlier row' },
      { file: 'demographics.csv', line: 2, column: 'birthDate', reason: expect.any(String) },
      { file: 'demographics.csv', line: 3, column: 'sourcedId', reason: 'duplicates the sourcedId of an earlier row' },
    ]);
    expect(await list('students')).toEqual([]);
  });

  it('refuses grades that name several year levels or an invalid one, and takes a level written twice as that level', async () => {
    const { bulk, list } = await municipality();
    const run = await bulk(
      [
        { sourcedId: 's-two', grades: '04,03', roles: [['student', 'sch-a']] },
        { sourcedId: 's-bad', grades: '03,99', roles: [['student', 'sch-a']] },
        { sourcedId: 's-same', grades: '03, 03', roles: [['student', 'sch-a']] },
      ],
    );
    expect(run.rejections).toEqual([
      { file: 'users.csv', line: 2, column: 'grades', reason: 'names more than one year level; a pupil is in one' },
      { file: 'users.csv', line: 3, column: 'grades', reason: 'must name a year level 01-13' },
    ]);
    expect(await list('students')).toEqual([expect.objectContaining({ givenName: 'Navn s-same', yearLevel: 3 })]);
  });

  it('neither imports nor refuses a guardian, whatever their name or org, and gives no account to staff the school has disabled', async () => {
    const { bulk, list } = await municipality();
    const run = await bulk(
        [
          { sourcedId: 'g-formula', givenName: '=HYPERLINK("x")', roles: [['guardian', 'sch-a']] },
          { sourcedId: 'g-blank', givenName: ' ', roles: [['guardian', 'sch-x']] },
          { sourcedId: 't-off', enabled: 'false', roles: [['teacher', 'sch-a']] },
          { sourcedId: 't-on', enabled: 'true', roles: [['teacher', 'sch-a']] },
          { sourcedId: 's-formula', givenName: '=HYPERLINK("x")', roles: [['student', 'sch-a']] },
        ],
        [
          ['d-other', 'Bergen kommune', 'district', '4601', ''],
          ['sch-x', 'Nordnes skole', 'school', '974600009', 'd-other'],
        ],
    );
    expect(run.rejections).toEqual([
      { file: 'orgs.csv', line: 6, column: 'parentSourcedId', reason: expect.stringContaining('not in this municipality') },
      { file: 'users.csv', line: 6, column: 'givenName', reason: expect.stringContaining('formula') },
    ]);
    expect((await list<{ name: string }>('users?limit=100')).map((user) => user.name).sort()).toEqual(['First Admin', 'Navn t-on Nordmann']);
  });

  it('neither refuses the enrollments of a disabled teacher nor takes a stored one out of their classes', async () => {
    const { municipalityId, imported, list } = await municipality();
    const files = (enabled: string) =>
      zip({
        'manifest.csv': manifest('bulk', ['orgs', 'users', 'roles', 'classes', 'enrollments']),
        'orgs.csv': csv([['sourcedId', 'name', 'type', 'identifier', 'parentSourcedId'], ['d', 'Kommunen', 'district', municipalityId, ''], ['sch-a', 'Lilleby skole', 'school', '974000101', 'd']]),
        'users.csv': csv([USERS_HEADER, ['t-1', 'active', enabled, `{Feide:t-1-${municipalityId}@skole.example}`, 'Tone', 'Lærer', 't-1@skole.example', '', 'sch-a']]),
        'roles.csv': csv([ROLES_HEADER, ['r-1', 'active', 't-1', 'primary', 'teacher', 'sch-a', '', '']]),
        'classes.csv': csv([['sourcedId', 'title', 'schoolSourcedId'], ['c-6a', '6A', 'sch-a']]),
        'enrollments.csv': csv([['sourcedId', 'classSourcedId', 'userSourcedId', 'role'], ['e-6a', 'c-6a', 't-1', 'teacher']]),
      });
    expect((await imported(files('true'))).rejections).toEqual([]);
    const disabled = await imported(files('false'));
    expect(disabled.rejections).toEqual([]);
    const tone = (await list<{ id: string; name: string }>('users?limit=100')).find((user) => user.name === 'Tone Lærer');
    expect((await list<{ name: string; teacherIds: string[] }>('groups')).find((group) => group.name === '6A')?.teacherIds).toEqual([tone?.id]);
  });
});
