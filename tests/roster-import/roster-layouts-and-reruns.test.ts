import { describe, expect, it } from 'vitest';
import { DEV_ISSUER } from '../../local/dev-issuer.js';
import { freshMunicipalities } from '../support/test-app.js';
import { csv, importRoster, manifest, rosterFiles, zip, SESSIONS, type RosterSet, type RunView } from './oneroster-fixture.js';

const V11_USERS = ['sourcedId', 'status', 'dateLastModified', 'enabledUser', 'orgSourcedIds', 'role', 'username', 'userIds', 'givenName', 'familyName', 'middleName', 'identifier', 'email', 'sms', 'phone', 'agentSourcedIds', 'grades', 'password'];
const ORGS = (m: string) => [
  ['sourcedId', 'status', 'dateLastModified', 'name', 'type', 'identifier', 'parentSourcedId'],
  ['d', 'active', '2026-06-01T00:00:00Z', 'Kommunen', 'district', m, ''],
  ['sch-a', 'active', '2026-06-01T00:00:00Z', 'Lilleby skole', 'school', '974000101', 'd'],
  ['sch-b', 'active', '2026-06-01T00:00:00Z', 'Storeby skole', 'school', '974000102', 'd'],
];
/** A 1.1 users.csv row: [sourcedId, orgSourcedIds, role, grades]. */
const v11 = (m: string, [id = '', orgs = '', role = '', grades = '']: string[]) => [id, 'active', '2026-06-01T00:00:00Z', 'true', orgs, role, id, role === 'student' ? '' : `{Feide:${id}-${m}@x.example}`, `Navn ${id}`, 'Nordmann', '', '', role === 'student' ? '' : `${id}@skole.example`, '', '', '', grades, ''];

function v11Bulk(m: string, rows: string[][]): Uint8Array {
  const classes = [['sourcedId', 'status', 'title', 'schoolSourcedId', 'termSourcedIds'], ['c-5a', 'active', '5A', 'sch-a', 'sy-2027']];
  const enrollments = [['sourcedId', 'status', 'classSourcedId', 'userSourcedId', 'role'], ['e-1', 'active', 'c-5a', 't-1', 'teacher'], ['e-2', 'active', 'c-5a', 's-1', 'student']];
  return zip({
    'manifest.csv': manifest('bulk', ['orgs', 'academicSessions', 'users', 'demographics', 'classes', 'enrollments']),
    'orgs.csv': csv(ORGS(m)),
    'academicSessions.csv': csv(SESSIONS),
    'users.csv': csv([V11_USERS, ...rows.map((row) => v11(m, row))]),
    'demographics.csv': csv([['sourcedId', 'birthDate'], ['s-1', '2016-04-01']]),
    'classes.csv': csv(classes),
    'enrollments.csv': csv(enrollments),
  });
}

/** Two schools, Tone teaching at the first, two pupils there; `extra` adds to it. */
function twoSchools(m: string, extra: Partial<Pick<RosterSet, 'people' | 'classes' | 'enrollments'>>): RosterSet {
  return {
    municipalityId: m,
    schools: [{ sourcedId: 'sch-a', name: 'Lilleby skole', organisationNumber: '974000101' }, { sourcedId: 'sch-b', name: 'Storeby skole', organisationNumber: '974000102' }],
    people: [
      { sourcedId: 't-1', givenName: 'Tone', familyName: 'Lærer', role: 'teacher', school: 'sch-a', feide: `tone-${m}@a.example` },
      { sourcedId: 's-1', givenName: 'Elev1', familyName: 'N', role: 'student', school: 'sch-a', grade: '05', birthDate: '2016-04-01' },
      { sourcedId: 's-2', givenName: 'Elev2', familyName: 'N', role: 'student', school: 'sch-a', grade: '05', birthDate: '2016-04-01' },
      ...(extra.people ?? []),
    ],
    classes: [{ sourcedId: 'c-5a', title: '5A', school: 'sch-a', term: 'sy-2027' }, ...(extra.classes ?? [])],
    enrollments: [{ sourcedId: 'e-1', classSourcedId: 'c-5a', userSourcedId: 't-1', role: 'teacher' }, { sourcedId: 'e-2', classSourcedId: 'c-5a', userSourcedId: 's-1', role: 'student' }, ...(extra.enrollments ?? [])],
  };
}

const V11_ROWS = [['t-1', 'd,sch-a', 'teacher'], ['t-2', 'sch-b', 'administrator'], ['s-1', 'd,sch-a', 'student', '05'], ['g-1', 'sch-a', 'parent']];
const counts = (run: RunView) => run.files;

describe('roster import: OneRoster 1.1’s layout, and every layout imported twice (the second writes nothing) and as a dry run (the same counts)', () => {
  const app = freshMunicipalities('47', { env: { ROSTER_IDENTITY_ISSUER: DEV_ISSUER } });
  const run = async (m: string, admin: string, content: Uint8Array, options: { mode?: 'bulk' | 'delta'; dryRun?: boolean } = {}) => {
    const result = await importRoster(app.test, admin, m, content, options);
    expect(result.status, result.failure ?? '').toBe('completed');
    return result;
  };

  it('1.1 bulk: district in orgSourcedIds, staff roles from role; twice writes nothing; dry run counts as the real run', async () => {
    const { municipalityId: m, admin, list } = await app.fresh();
    const dry = await run(m, admin, v11Bulk(m, V11_ROWS), { dryRun: true });
    const first = await run(m, admin, v11Bulk(m, V11_ROWS));
    expect(first.rejections).toEqual([]);
    expect(counts(dry)).toEqual(counts(first));
    const staff = Object.fromEntries((await list<{ name: string; roles: string[]; schoolIds: string[] }>('users?limit=100')).map((u) => [u.name, [u.roles, u.schoolIds.length]]));
    expect(staff).toMatchObject({ 'Navn t-1 Nordmann': [['teacher'], 1], 'Navn t-2 Nordmann': [['school-admin'], 1] });
    expect((await list<{ groupIds: string[] }>('students'))[0]?.groupIds).toHaveLength(1);
    const dry2 = await run(m, admin, v11Bulk(m, V11_ROWS), { dryRun: true });
    const second = await run(m, admin, v11Bulk(m, V11_ROWS));
    expect(counts(dry2)).toEqual(counts(second));
    expect(second.operations.writes).toBe(0);
  });

  it('1.1 bulk: an administrator whose only org is the district is not imported (as in 1.2)', async () => {
    const { municipalityId: m, admin, list } = await app.fresh();
    const first = await run(m, admin, v11Bulk(m, [...V11_ROWS, ['t-d', 'd', 'administrator']]));
    expect(first.rejections).toEqual([]);
    const td = (await list<{ name: string; roles: string[]; schoolIds: string[] }>('users?limit=100')).find((u) => u.name === 'Navn t-d Nordmann');
    expect(td && { roles: td.roles, schoolIds: td.schoolIds }).toBeUndefined();
  });

  it('1.1 delta (users.csv alone): a teacher whose orgs include a district the delta does not list is refused with the reason (the directory keeps no district)', async () => {
    const { municipalityId: m, admin, list } = await app.fresh();
    await run(m, admin, v11Bulk(m, V11_ROWS));
    const delta = zip({ 'manifest.csv': manifest('delta', ['users']), 'users.csv': csv([V11_USERS, v11(m, ['t-1', 'd,sch-a,sch-b', 'teacher'])]) });
    const refused = await run(m, admin, delta, { mode: 'delta' });
    expect(refused.rejections).toEqual([{ file: 'users.csv', line: 2, column: 'orgSourcedIds', reason: 'refers to an org that is neither a school in orgs.csv nor one already imported' }]);
    expect((await list<{ name: string; schoolIds: string[] }>('users?limit=100')).find((u) => u.name === 'Navn t-1 Nordmann')?.schoolIds).toHaveLength(1);
  });

  it('1.2 bulk twice writes nothing; dry runs count as the real runs', async () => {
    const { municipalityId: m, admin } = await app.fresh();
    const set = twoSchools(m, {
      people: [{ sourcedId: 'a-1', givenName: 'Anne', familyName: 'Rektor', role: 'administrator', school: 'sch-b', feide: `anne-${m}@a.example` }],
      classes: [{ sourcedId: 'c-old', title: 'gammel', school: 'sch-a', term: 'sy-2026' }],
      enrollments: [{ sourcedId: 'e-3', classSourcedId: 'c-5a', userSourcedId: 's-2', role: 'student', endDate: '2026-01-10' }],
    });
    const dry = await run(m, admin, zip(rosterFiles(set)), { dryRun: true });
    const first = await run(m, admin, zip(rosterFiles(set)));
    expect(first.rejections).toEqual([]);
    expect(counts(dry)).toEqual(counts(first));
    const dry2 = await run(m, admin, zip(rosterFiles(set)), { dryRun: true });
    const second = await run(m, admin, zip(rosterFiles(set)));
    expect(counts(dry2)).toEqual(counts(second));
    expect(second.operations.writes).toBe(0);
  });

  it('1.2 delta run twice writes nothing the second time', async () => {
    const { municipalityId: m, admin } = await app.fresh();
    const set = twoSchools(m, { classes: [{ sourcedId: 'c-5b', title: '5B', school: 'sch-b', term: 'sy-2027' }] });
    await run(m, admin, zip(rosterFiles(set)));
    const files = {
      'users.csv': csv([['sourcedId', 'status', 'userIds', 'givenName', 'familyName', 'email', 'grades', 'primaryOrgSourcedId'], ['t-1', 'active', `{Feide:tone-${m}@a.example}`, 'Tone', 'Lærer', 'tone@skole.example', '', 'sch-a'], ['s-2', 'tobedeleted', '', 'Elev2', 'N', '', '05', 'sch-a']]),
      'roles.csv': csv([['sourcedId', 'status', 'userSourcedId', 'roleType', 'role', 'orgSourcedId'], ['r-t1-b', 'active', 't-1', 'secondary', 'teacher', 'sch-b']]),
      'enrollments.csv': csv([['sourcedId', 'status', 'classSourcedId', 'userSourcedId', 'role'], ['e-3', 'active', 'c-5b', 't-1', 'teacher'], ['e-2', 'tobedeleted', 'c-5a', 's-1', 'student']]),
    };
    const delta = () => zip({ 'manifest.csv': manifest('delta', ['users', 'roles', 'enrollments']), ...files });
    const dry = await run(m, admin, delta(), { mode: 'delta', dryRun: true });
    const first = await run(m, admin, delta(), { mode: 'delta' });
    expect(first.rejections).toEqual([]);
    expect(counts(dry)).toEqual(counts(first));
    const second = await run(m, admin, delta(), { mode: 'delta' });
    expect(second.operations.writes).toBe(0);
  });
});
