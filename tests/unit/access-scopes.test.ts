import { describe, expect, it } from 'vitest';
import {
  groupReadScope, inScope, isEmpty, managementScope, recordWriteScope, scopeCondition, staffOf, staffReadScope, studentReadScope, type StaffPrincipal,
} from '../../lib/access/scopes.js';
import type { Principal, TenantRole } from '../../lib/identity/principal.js';

/** Pure decisions of P5, fast enough for mutation testing (`npm run mutate`); the HTTP matrix is tests/security/. */
const identity = { issuer: 'https://issuer.test', subject: 'someone' };
const staff = (roles: TenantRole[], schoolIds: string[] = ['s1']): StaffPrincipal => ({ kind: 'staff', identity, userId: 'u1', municipalityId: '0301', roles, schoolIds, memberships: ['0301'] });
const ALL = { all: true, schoolIds: [] };
const NOTHING = { all: false, schoolIds: [] };

describe('staffOf', () => {
  it('passes staff and refuses anyone else with a 404', () => {
    const teacher = staff(['teacher']);
    expect(staffOf(teacher)).toBe(teacher);
    for (const other of [undefined, { kind: 'operator', identity, roles: ['platform-operator'] }, { kind: 'unregistered', identity, roles: [] }] as (Principal | undefined)[]) {
      expect(() => staffOf(other)).toThrow(expect.objectContaining({ status: 404 }));
    }
  });
});

describe('studentReadScope (P5)', () => {
  it('admins of the municipality see every student whatever the visibility', () => {
    for (const role of ['data-admin', 'municipality-admin'] as const) {
      for (const visibility of ['group', 'school', 'municipality'] as const) expect(studentReadScope(staff([role]), visibility)).toEqual(ALL);
    }
  });

  it('a school admin sees their schools', () => {
    expect(studentReadScope(staff(['school-admin'], ['s1', 's2']), 'group')).toEqual({ all: false, schoolIds: ['s1', 's2'] });
  });

  it('a teacher sees by the visibility setting: the groups they teach, their schools too, or everyone', () => {
    expect(studentReadScope(staff(['teacher']), 'group')).toEqual({ all: false, schoolIds: [], teacherId: 'u1' });
    expect(studentReadScope(staff(['teacher']), 'school')).toEqual({ all: false, schoolIds: ['s1'], teacherId: 'u1' });
    expect(studentReadScope(staff(['teacher']), 'municipality')).toEqual(ALL);
  });

  it('several roles unite, without repeating a school', () => {
    expect(studentReadScope(staff(['teacher', 'school-admin'], ['s1', 's2']), 'school')).toEqual({ all: false, schoolIds: ['s1', 's2'], teacherId: 'u1' });
    expect(studentReadScope(staff(['school-admin', 'teacher'], ['s1']), 'group')).toEqual({ all: false, schoolIds: ['s1'], teacherId: 'u1' });
    expect(studentReadScope(staff(['teacher', 'data-admin']), 'group')).toEqual({ all: true, schoolIds: [], teacherId: 'u1' });
  });

  it('a role with no student access sees nothing', () => {
    expect(studentReadScope(staff([]), 'municipality')).toEqual(NOTHING);
  });
});

describe('recordWriteScope', () => {
  it('only teachers write records, within their teacher visibility', () => {
    expect(recordWriteScope(staff(['data-admin', 'municipality-admin', 'school-admin']), 'municipality')).toEqual(NOTHING);
    expect(recordWriteScope(staff(['teacher']), 'group')).toEqual({ all: false, schoolIds: [], teacherId: 'u1' });
    expect(recordWriteScope(staff(['teacher']), 'municipality')).toEqual(ALL);
  });
});

describe('managementScope, groupReadScope, staffReadScope', () => {
  it('management: municipality admins all, school admins their schools, others nothing', () => {
    expect(managementScope(staff(['municipality-admin', 'school-admin']))).toEqual(ALL);
    expect(managementScope(staff(['school-admin'], ['s2']))).toEqual({ all: false, schoolIds: ['s2'] });
    expect(managementScope(staff(['teacher', 'data-admin']))).toEqual(NOTHING);
  });

  it('groups: admins all; school admins and teachers their schools; teachers also the groups they teach', () => {
    expect(groupReadScope(staff(['data-admin']))).toEqual(ALL);
    expect(groupReadScope(staff(['municipality-admin']))).toEqual(ALL);
    expect(groupReadScope(staff(['school-admin'], ['s3']))).toEqual({ all: false, schoolIds: ['s3'] });
    expect(groupReadScope(staff(['teacher'], ['s3']))).toEqual({ all: false, schoolIds: ['s3'], teacherId: 'u1' });
    expect(groupReadScope(staff([]))).toEqual(NOTHING);
  });

  it('staff records: admins of the municipality all, school admins their schools, teachers nothing', () => {
    expect(staffReadScope(staff(['data-admin']))).toEqual(ALL);
    expect(staffReadScope(staff(['municipality-admin']))).toEqual(ALL);
    expect(staffReadScope(staff(['school-admin'], ['s4']))).toEqual({ all: false, schoolIds: ['s4'] });
    expect(staffReadScope(staff(['teacher']))).toEqual(NOTHING);
  });
});

describe('isEmpty and inScope', () => {
  it('a scope is empty only with no all, no school and no teacher', () => {
    expect(isEmpty(NOTHING)).toBe(true);
    expect(isEmpty(ALL)).toBe(false);
    expect(isEmpty({ all: false, schoolIds: ['s1'] })).toBe(false);
    expect(isEmpty({ all: false, schoolIds: [], teacherId: 'u1' })).toBe(false);
  });

  it('a subject is in scope by all, by a shared school, or by being taught', () => {
    expect(inScope(ALL, { schoolIds: [] })).toBe(true);
    expect(inScope({ all: false, schoolIds: ['s1'] }, { schoolIds: ['s2', 's1'] })).toBe(true);
    expect(inScope({ all: false, schoolIds: ['s1'] }, { schoolIds: ['s2'] })).toBe(false);
    expect(inScope({ all: false, schoolIds: [], teacherId: 'u1' }, { schoolIds: ['s1'], teacherIds: ['u2', 'u1'] })).toBe(true);
    expect(inScope({ all: false, schoolIds: [], teacherId: 'u1' }, { schoolIds: ['s1'], teacherIds: ['u2'] })).toBe(false);
    expect(inScope({ all: false, schoolIds: [], teacherId: 'u1' }, { schoolIds: ['s1'] })).toBe(false);
    expect(inScope({ all: false, schoolIds: [] }, { schoolIds: ['s1'], teacherIds: [] })).toBe(false);
  });
});

describe('scopeCondition (the same rule as SQL)', () => {
  it('all is true; nothing is false', () => {
    expect(scopeCondition(ALL, 'schoolId')).toEqual({ sql: 'true', parameters: [] });
    expect(scopeCondition(NOTHING, 'schoolId')).toEqual({ sql: 'false', parameters: [] });
  });

  it('schools by a single field or an array, a teacher by the taught list, either one', () => {
    expect(scopeCondition({ all: false, schoolIds: ['s1'] }, 'schoolId')).toEqual({ sql: '(ARRAY_CONTAINS(@scopeSchools, c.schoolId))', parameters: [{ name: '@scopeSchools', value: ['s1'] }] });
    expect(scopeCondition({ all: false, schoolIds: ['s1'] }, 'schoolIds')).toEqual({
      sql: '(EXISTS(SELECT VALUE s FROM s IN c.schoolIds WHERE ARRAY_CONTAINS(@scopeSchools, s)))',
      parameters: [{ name: '@scopeSchools', value: ['s1'] }],
    });
    expect(scopeCondition({ all: false, schoolIds: ['s1'], teacherId: 'u1' }, 'schoolId')).toEqual({
      sql: '(ARRAY_CONTAINS(@scopeSchools, c.schoolId) OR ARRAY_CONTAINS(c.teacherIds, @scopeTeacher))',
      parameters: [{ name: '@scopeSchools', value: ['s1'] }, { name: '@scopeTeacher', value: 'u1' }],
    });
    expect(scopeCondition({ all: false, schoolIds: [], teacherId: 'u1' }, 'schoolId')).toEqual({ sql: '(ARRAY_CONTAINS(c.teacherIds, @scopeTeacher))', parameters: [{ name: '@scopeTeacher', value: 'u1' }] });
  });

  it('hands the schools over as a copy', () => {
    const schoolIds = ['s1'];
    const { parameters } = scopeCondition({ all: false, schoolIds }, 'schoolId');
    expect(parameters[0]?.value).not.toBe(schoolIds);
  });
});
