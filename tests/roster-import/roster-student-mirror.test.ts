import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SourcedIdSet } from '../../lib/roster-import/roster-id-set.js';
import { StudentMirror } from '../../lib/roster-import/roster-student-mirror.js';
import { openTemporaryFiles } from './open-temporary-files.js';

describe("each student's open groups and their teachers (the student mirror, memberships sorted on disk)", () => {
  for (const blockPairs of [undefined, 7]) {
    it(`gives every student all their open groups and those groups' teachers, also when the shared id set numbered thousands of members first (${blockPairs ?? 'default'} pairs a block)`, () => {
      const ids = new SourcedIdSet();
      // The planner's members have all been numbered before the first group is mirrored: these students' ordinals are far past the mirror's arrays.
      for (let index = 0; index < 5_000; index += 1) ids.intern(`teacher-or-earlier-${index}`);
      const mirror = new StudentMirror(ids, blockPairs);
      const groupCount = 3_000;
      for (let group = 0; group < groupCount; group += 1) {
        const studentIds = [0, 1, 2].map((offset) => `student-${(group + offset * 1000) % 2_000}`);
        mirror.add({ id: `group-${group}`, studentIds, teacherIds: [`teacher-${group % 7}`], ...(group % 10 === 9 ? { closedAt: '2026-06-20' } : {}) });
      }
      const expected = new Map<string, Set<number>>();
      for (let group = 0; group < groupCount; group += 1) {
        if (group % 10 === 9) continue;
        for (const offset of [0, 1, 2]) {
          const student = `student-${(group + offset * 1000) % 2_000}`;
          expected.set(student, (expected.get(student) ?? new Set()).add(group));
        }
      }
      let mismatches = 0;
      for (const [student, groups] of expected) {
        const want = { groupIds: [...groups].map((group) => `group-${group}`).sort(), teacherIds: [...new Set([...groups].map((group) => `teacher-${group % 7}`))].sort() };
        if (JSON.stringify(mirror.of(student)) !== JSON.stringify(want)) mismatches += 1;
      }
      // Every tenth group is closed; 200 students are only in closed ones and have no open group.
      expect({ students: expected.size, mismatches }).toEqual({ students: 1_800, mismatches: 0 });
      expect(mirror.of('student-never-enrolled')).toEqual({ groupIds: [], teacherIds: [] });
      mirror.discard();
    });
  }

  it('answers as a map of each student to their open groups would, for any groups, block size and order of asking', () => {
    const student = fc.constantFrom('s-1', 's-2', 's-3', 's-4', 'æøå', 'x'.repeat(300));
    const group = fc.record({ studentIds: fc.uniqueArray(student, { maxLength: 6 }), teacherIds: fc.uniqueArray(fc.constantFrom('t-1', 't-2', 't-3'), { maxLength: 2 }), closed: fc.boolean() });
    fc.assert(
      fc.property(fc.array(group, { maxLength: 30 }), fc.integer({ min: 1, max: 5 }), fc.shuffledSubarray(['s-1', 's-2', 's-3', 's-4', 'æøå', 'x'.repeat(300), 'never']), (groups, blockPairs, asked) => {
        const ids = new SourcedIdSet();
        const mirror = new StudentMirror(ids, blockPairs);
        const reference = new Map<string, { groupIds: Set<string>; teacherIds: Set<string> }>();
        for (const [index, { studentIds, teacherIds, closed }] of groups.entries()) {
          mirror.add({ id: `group-${index}`, studentIds, teacherIds, ...(closed ? { closedAt: '2026-06-20' } : {}) });
          if (closed) continue;
          for (const id of studentIds) {
            const entry = reference.get(id) ?? { groupIds: new Set<string>(), teacherIds: new Set<string>() };
            entry.groupIds.add(`group-${index}`);
            for (const teacher of teacherIds) entry.teacherIds.add(teacher);
            reference.set(id, entry);
          }
        }
        for (const id of asked) {
          const entry = reference.get(id);
          expect(mirror.of(id)).toEqual({ groupIds: [...(entry?.groupIds ?? [])].sort(), teacherIds: [...(entry?.teacherIds ?? [])].sort() });
        }
        mirror.discard();
      }),
    );
  });

  it('takes no group once read, and frees its file when discarded', () => {
    const before = openTemporaryFiles().length;
    const mirror = new StudentMirror(new SourcedIdSet(), 2);
    mirror.add({ id: 'group-1', studentIds: ['s-1', 's-2', 's-3', 's-4', 's-5'], teacherIds: ['t-1'] });
    expect(mirror.of('s-3')).toEqual({ groupIds: ['group-1'], teacherIds: ['t-1'] });
    expect(openTemporaryFiles().length).toBe(before + 1);
    expect(() => mirror.add({ id: 'group-2', studentIds: ['s-1'], teacherIds: [] })).toThrow('was read');
    mirror.discard();
    mirror.discard();
    expect(openTemporaryFiles().length).toBe(before);
  });
});
