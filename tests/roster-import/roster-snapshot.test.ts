import { describe, expect, it } from 'vitest';
import { DirectorySnapshot, type SnapshotGroup, type SnapshotStudent } from '../../lib/roster-import/roster-snapshot.js';

const system = { _rid: 'abc==', _self: 'dbs/x/colls/y/docs/z/', _ts: 1_795_000_000, _attachments: 'attachments/' };

describe('the directory snapshot the import compares with', () => {
  it('keeps every value of the documents and their ETag, not the system properties a replace does not write', async () => {
    const student = (n: number): SnapshotStudent => ({
      id: `student-${n}`,
      type: 'student',
      municipalityId: '0301',
      sourcedId: `s-${n}`,
      givenName: `Elev${n}`,
      familyName: 'Nordmann',
      birthDate: '2016-03-01',
      schoolId: 'school-1',
      yearLevel: 5,
      status: 'active',
      groupIds: ['group-1', 'group-2'],
      teacherIds: ['teacher-1'],
      createdAt: '2026-11-30T00:00:00.000Z',
      updatedAt: '2026-11-30T00:00:00.000Z',
      _etag: `"etag-${n}"`,
    });
    const group: SnapshotGroup = {
      id: 'group-1',
      type: 'group',
      municipalityId: '0301',
      sourcedId: 'c-1',
      name: '5A',
      schoolId: 'school-1',
      teacherIds: ['teacher-1'],
      studentIds: ['student-1', 'student-2'],
      createdAt: '2026-11-30T00:00:00.000Z',
      updatedAt: '2026-11-30T00:00:00.000Z',
      _etag: '"etag-g"',
    } as SnapshotGroup;
    const stored = [student(1), student(2), group].map((document) => ({ ...structuredClone(document), ...system }));
    const snapshot = await DirectorySnapshot.of([stored.slice(0, 2), stored.slice(2)]);
    const withoutSystem = (document: object) => JSON.parse(JSON.stringify(document)) as unknown;
    expect(withoutSystem(snapshot.students.get('s-1') ?? {})).toEqual(student(1));
    expect(withoutSystem(snapshot.students.get('s-2') ?? {})).toEqual(student(2));
    expect(withoutSystem(snapshot.groups.get('c-1') ?? {})).toEqual(group);
    expect(snapshot.students.get('s-1')?._etag).toBe('"etag-1"');
    snapshot.discard();
  });
});
