import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SourcedIdSet, SourcedIdSubset } from '../../lib/roster-import/roster-id-set.js';
import { MemberPool, MemberSet, StudentTargets, type StudentTarget } from '../../lib/roster-import/roster-members.js';

describe("a group's members while the planner builds them (ordinals in a typed array)", () => {
  it('holds the same members as a Set would after any adds and deletes, groups sharing one id set', () => {
    const id = fc.constantFrom('a', 'b', 'c', 'æøå', '3f2b9c1e-0000-5000-8000-000000000001', 'x'.repeat(300), 'd', 'e');
    const step = fc.record({ group: fc.nat(2), op: fc.constantFrom('add' as const, 'delete' as const, 'has' as const), id });
    fc.assert(
      fc.property(fc.array(id, { maxLength: 4 }), fc.array(step, { maxLength: 200 }), fc.uniqueArray(id, { maxLength: 3 }), fc.nat(6), (initial, steps, leaving, room) => {
        const ids = new SourcedIdSet();
        const pool = new MemberPool();
        // Any room, too small or not: a set that outgrows its region moves, and loses nothing.
        const groups = [0, 1, 2].map(() => ({ compact: new MemberSet(ids, pool, initial, room), reference: new Set(initial) }));
        for (const { group, op, id: member } of steps) {
          const { compact, reference } = groups[group] ?? { compact: new MemberSet(ids, pool), reference: new Set<string>() };
          if (op === 'add') {
            compact.add(member);
            reference.add(member);
          } else if (op === 'delete') expect(compact.delete(member)).toBe(reference.delete(member));
          else expect(compact.has(member)).toBe(reference.has(member));
          expect(compact.size).toBe(reference.size);
        }
        for (const { compact, reference } of groups) {
          compact.deleteAll(new Set(leaving));
          for (const member of leaving) reference.delete(member);
          expect([...compact].sort()).toEqual([...reference].sort());
          expect(compact.size).toBe(reference.size);
        }
      }),
    );
  });

  it('takes one slot of the pool a member when its room is what the file enrols (no region outgrown)', () => {
    const ids = new SourcedIdSet();
    const pool = new MemberPool();
    const stored = ['s-1', 's-2', 's-3'];
    const sizes = [0, 1, 5, 40, 500];
    const groups = sizes.map((size) => ({ size, members: new MemberSet(ids, pool, stored, size) }));
    for (const { size, members } of groups) for (let index = 0; index < size; index += 1) members.add(`student-${size}-${index}`);
    expect(pool.allocated).toBe(sizes.reduce((sum, size) => sum + stored.length + size, 0));
    for (const { size, members } of groups) expect(members.size).toBe(stored.length + size);
  });

  it('keeps every member of a full group (500) across growths of its list', () => {
    const members = new MemberSet(new SourcedIdSet(), new MemberPool());
    for (let index = 0; index < 500; index += 1) members.add(`student-${index}`);
    for (let index = 0; index < 500; index += 2) members.delete(`student-${index}`);
    expect(members.size).toBe(250);
    expect([...members].sort()).toEqual(Array.from({ length: 250 }, (_, index) => `student-${index * 2 + 1}`).sort());
  });
});

describe("the students of a run (document id and whether they stay, by the roster's user ordinal)", () => {
  it('answers as a Map of targets would, for any sets, and gives each student the ordinal of their document id in the member ids', () => {
    const sourced = fc.constantFrom('s-1', 's-2', 's-3', 'æøå', 'x'.repeat(300), 't-1');
    const target = fc.record({ id: fc.constantFrom('id-1', 'id-2', 'id-3', 'id-4'), active: fc.boolean() });
    fc.assert(
      fc.property(fc.array(sourced, { maxLength: 3 }), fc.array(fc.tuple(sourced, target), { maxLength: 50 }), (others, sets) => {
        const users = new SourcedIdSet();
        const memberIds = new SourcedIdSet();
        for (const other of others) users.intern(other); // users without a target (staff, rejected) share the ordinals
        const targets = new StudentTargets(users, memberIds);
        const reference = new Map<string, StudentTarget>();
        for (const [key, value] of sets) {
          targets.set(key, value);
          reference.set(key, value);
        }
        for (const key of ['s-1', 's-2', 's-3', 'æøå', 'x'.repeat(300), 't-1', 'never']) {
          expect(targets.get(key)).toEqual(reference.get(key));
          expect(targets.has(key)).toBe(reference.has(key));
          const member = targets.member(key);
          const expected = reference.get(key);
          expect(member === undefined ? undefined : { id: memberIds.idAt(member.ordinal), active: member.active }).toEqual(expected);
        }
        const byId = (list: StudentTarget[]) => list.map((value) => `${value.id}:${value.active}`).sort();
        expect(byId([...targets.values()])).toEqual(byId([...reference.values()]));
      }),
    );
  });
});

describe('a subset of a shared id set (a flag per ordinal)', () => {
  it('holds exactly the ids added to it, not the other ids of the set it shares', () => {
    const ids = new SourcedIdSet();
    ids.intern('staff-1');
    const students = new SourcedIdSubset(ids);
    for (let index = 0; index < 3000; index += 2) students.add(`s-${index}`);
    expect(students.has('staff-1')).toBe(false);
    expect(students.has('never')).toBe(false);
    expect(Array.from({ length: 3000 }, (_, index) => students.has(`s-${index}`))).toEqual(Array.from({ length: 3000 }, (_, index) => index % 2 === 0));
  });
});
