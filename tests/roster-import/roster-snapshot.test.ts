import { readdirSync } from 'node:fs';
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

  it('keeps a large directory in a temporary file, gives every document back in order (also one longer than a read), and closes the file on discard', async () => {
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    const student = (n: number) => ({ id: `student-${n}`, type: 'student', municipalityId: '0301', sourcedId: `s-${n}`, givenName: `Elev${n}`, familyName: 'Nordmann', birthDate: '2016-03-01', schoolId: 'school-1', yearLevel: 5, status: 'active', groupIds: n % 500 === 10 ? Array.from({ length: 300 }, (_, g) => `group-${g}`) : ['group-1'], teacherIds: ['teacher-1'], createdAt: '2026-11-30T00:00:00.000Z', updatedAt: '2026-11-30T00:00:00.000Z', _etag: `"etag-${n}"` }) as SnapshotStudent;
    const big = { id: 'group-1', type: 'group', municipalityId: '0301', sourcedId: 'c-1', name: '5A', schoolId: 'school-1', teacherIds: ['teacher-1'], studentIds: Array.from({ length: 500 }, (_, n) => `student-${n}`), createdAt: '2026-11-30T00:00:00.000Z', updatedAt: '2026-11-30T00:00:00.000Z' } as SnapshotGroup;
    // ~1 MB of JSON, past the 256 KiB kept in memory; every 500th student lists 300 groups (~3 KB, longer than one read of the file).
    const students = Array.from({ length: 3000 }, (_, n) => student(n));
    const snapshot = await DirectorySnapshot.of([students.slice(0, 1500), [big], students.slice(1500)]);
    expect(openFiles()).toBe(before + 1); // the students' table; the one group is still in memory
    expect(snapshot.students.size).toBe(3000);
    let mismatches = 0;
    for (let n = 0; n < 3000; n += 1) if (JSON.stringify(snapshot.students.get(`s-${n}`)) !== JSON.stringify(student(n))) mismatches += 1;
    expect(mismatches).toBe(0);
    expect([...snapshot.students.keys()].slice(0, 3)).toEqual(['s-0', 's-1', 's-2']);
    expect(snapshot.groups.get('c-1')).toEqual(big);
    expect(snapshot.knows('user', 's-2999')).toBe(true);
    snapshot.discard();
    snapshot.discard();
    expect(openFiles()).toBe(before);
    expect({ size: snapshot.students.size, read: snapshot.students.get('s-1') }).toEqual({ size: 0, read: undefined });
  });
});
