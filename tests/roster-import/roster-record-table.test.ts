import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SourcedIdSet } from '../../lib/roster-import/roster-id-set.js';
import { RecordTable, type RecordCodec } from '../../lib/roster-import/roster-record-table.js';
import { CLASS_ROWS, DATES, USER_DETAILS, USER_ROWS } from '../../lib/roster-import/roster-row-codecs.js';
import type { ClassRow, UserRow } from '../../lib/roster-import/roster-reader.js';

/** A value with every field kind a record has, to drive the table with arbitrary rows. */
interface Sample {
  count: number;
  text: string;
  maybe: string | undefined;
  list: string[];
}

const SAMPLES: RecordCodec<Sample> = {
  write(value, out) {
    out.uint(value.count);
    out.string(value.text);
    out.optionalString(value.maybe);
    out.strings(value.list);
  },
  read(input) {
    return { count: input.uint(), text: input.string(), maybe: input.optionalString(), list: input.strings() };
  },
};

const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 10 }), fc.constantFrom('', 'æøå', 'Ærlig Østby-Åsen', '😀👩‍👩‍👧', 'x'.repeat(4096), 'ø'.repeat(4096)));
const id = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('a', 'ab', 'æøå', 'æø', 'x'.repeat(255), 'Ø'.repeat(255)));
const sample = fc.record({ count: fc.nat(), text, maybe: fc.option(text, { nil: undefined }), list: fc.array(text, { maxLength: 5 }) });

describe('the record table (rows by sourcedId, off the V8 heap)', () => {
  it('answers as a Map would for any sets, re-sets and deletes, iterating in the order ids were first set', () => {
    const operation = fc.oneof(fc.record({ set: id, value: sample }), fc.record({ delete: id }));
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 200 }), (operations) => {
        const table = new RecordTable(SAMPLES);
        const reference = new Map<string, Sample>();
        const firstSet: string[] = [];
        for (const step of operations) {
          if ('set' in step) {
            if (!firstSet.includes(step.set)) firstSet.push(step.set);
            reference.set(step.set, step.value);
            expect(table.set(step.set, step.value)).toBe(table);
          } else expect(table.delete(step.delete)).toBe(reference.delete(step.delete));
        }
        expect(table.size).toBe(reference.size);
        const expected = firstSet.filter((key) => reference.has(key)).map((key) => [key, reference.get(key)]);
        expect([...table]).toEqual(expected);
        expect([...table.keys()]).toEqual(expected.map(([key]) => key));
        expect([...table.values()]).toEqual(expected.map(([, value]) => value));
        for (const key of firstSet) {
          expect(table.has(key)).toBe(reference.has(key));
          expect(table.get(key)).toEqual(reference.get(key));
        }
      }),
    );
  });

  it('keeps a change to a row it gave out only when the row is set again (get decodes a copy)', () => {
    const table = new RecordTable(SAMPLES);
    table.set('u-1', { count: 1, text: 'a', maybe: undefined, list: ['x'] });
    const row = table.get('u-1');
    row?.list.push('y');
    expect(table.get('u-1')).toEqual({ count: 1, text: 'a', maybe: undefined, list: ['x'] });
    if (row) table.set('u-1', row);
    expect(table.get('u-1')).toEqual({ count: 1, text: 'a', maybe: undefined, list: ['x', 'y'] });
  });

  it.each([{ spilled: false }, { spilled: true }])('keeps every row across many growths of its id table and compactions of its buffer or writes to its file (200,000 ids, each set three times; %o)', ({ spilled }) => {
    const table = new RecordTable(SAMPLES, { spilled });
    const row = (index: number, round: number) => ({ count: index * 3 + round, text: `Elev${index} Olsen`, maybe: round === 1 ? undefined : `elev-${index}@skole.example`, list: [`sch-${index % 40}`] });
    for (let round = 0; round < 3; round += 1) for (let index = 0; index < 200_000; index += 1) table.set(`stu-${index}`, row(index, round));
    for (let index = 0; index < 200_000; index += 2) table.delete(`stu-${index}`);
    expect(table.size).toBe(100_000);
    let expected = 1;
    let mismatches = 0;
    for (const [key, value] of table) {
      if (key !== `stu-${expected}` || JSON.stringify(value) !== JSON.stringify(row(expected, 2))) mismatches += 1;
      expected += 2;
    }
    expect({ mismatches, seen: (expected - 1) / 2 }).toEqual({ mismatches: 0, seen: 100_000 });
    expect(table.get('stu-199999')).toEqual(row(199_999, 2));
    expect(table.has('stu-199998')).toBe(false);
  });

  it.each([{ spilled: false }, { spilled: true }])('keeps every row changed while it is iterated, across the compactions or file writes those changes cause (as checkUsers sets each checked user again; %o)', ({ spilled }) => {
    const table = new RecordTable(SAMPLES, { spilled });
    const row = (index: number, round: number) => ({ count: index + round, text: `Elev${index} Olsen`, maybe: round === 0 ? `elev-${index}@skole.example` : undefined, list: [`sch-${index % 40}`, `round-${round}`] });
    for (let index = 0; index < 100_000; index += 1) table.set(`stu-${index}`, row(index, 0));
    let visited = 0;
    let mismatches = 0;
    for (const [key, value] of table) {
      const index = Number(key.slice(4));
      if (index !== visited || JSON.stringify(value) !== JSON.stringify(row(index, 0))) mismatches += 1;
      // Each re-set leaves the old bytes dead; past 1 MiB of rows, dead outweighing live compacts the buffer mid-iteration.
      table.set(key, row(index, 1));
      visited += 1;
    }
    expect({ visited, mismatches }).toEqual({ visited: 100_000, mismatches: 0 });
    let changed = 0;
    for (const [key, value] of table) if (JSON.stringify(value) === JSON.stringify(row(Number(key.slice(4)), 1))) changed += 1;
    expect(changed).toBe(100_000);
  });

  it('spilled: reads back rows from its file that are longer than one read, and rows still in memory, and closes its file on clear', () => {
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    const table = new RecordTable(SAMPLES, { spilled: true });
    const row = (index: number) => ({ count: index, text: index % 97 === 0 ? `ø${'x'.repeat(5000 + index)}` : `Elev${index}`, maybe: undefined, list: [] });
    for (let index = 0; index < 20_000; index += 1) table.set(`stu-${index}`, row(index));
    expect(openFiles()).toBe(before + 1); // the rows past the last 256 KiB are in a file
    let mismatches = 0;
    for (let index = 0; index < 20_000; index += 1) if (JSON.stringify(table.get(`stu-${index}`)) !== JSON.stringify(row(index))) mismatches += 1;
    expect(mismatches).toBe(0);
    table.clear();
    expect(table.get('stu-1')).toBeUndefined();
    for (let index = 0; index < 20_000; index += 1) table.set(`new-${index}`, row(index + 1));
    expect(table.get('new-19999')).toEqual(row(20_000));
    expect(table.get('new-0')).toEqual(row(1));
    table.clear();
    expect(openFiles()).toBe(before);
  });

  it('frees everything on clear and takes new rows afterwards', () => {
    const table = new RecordTable(DATES);
    table.set('stu-1', '2014-03-12');
    table.clear();
    expect({ size: table.size, has: table.has('stu-1'), rows: [...table] }).toEqual({ size: 0, has: false, rows: [] });
    table.set('stu-2', '2015-01-01');
    expect([...table]).toEqual([['stu-2', '2015-01-01']]);
  });

  it('tables sharing one id set keep their own rows, iterate in the shared order over their own ids, and clear only their rows', () => {
    const ids = new SourcedIdSet();
    const users = new RecordTable(DATES, { ids });
    const births = new RecordTable(DATES, { ids });
    users.set('b', 'user b');
    users.set('a', 'user a');
    births.set('c', '2015-01-01'); // c enters the shared set here, before a table holds a
    births.set('a', '2014-03-12');
    users.set('c', 'user c');
    expect([...users]).toEqual([['b', 'user b'], ['a', 'user a'], ['c', 'user c']]);
    expect([...births]).toEqual([['a', '2014-03-12'], ['c', '2015-01-01']]); // the shared order (b, a, c), not the order births were set
    expect({ users: users.size, births: births.size, ids: ids.size, bHasBirth: births.has('b') }).toEqual({ users: 3, births: 2, ids: 3, bHasBirth: false });
    births.clear();
    expect({ births: births.size, ids: ids.size, users: [...users.keys()] }).toEqual({ births: 0, ids: 3, users: ['b', 'a', 'c'] });
    expect(users.get('a')).toBe('user a');
  });

  it('keeps no part of a row its codec could not write', () => {
    const table = new RecordTable(SAMPLES);
    table.set('a', { count: 1, text: 'first', maybe: undefined, list: [] });
    expect(() => table.set('b', { count: -1, text: 'broken', maybe: undefined, list: [] })).toThrow(RangeError);
    table.set('c', { count: 3, text: 'third', maybe: 'ok', list: ['z'] });
    expect([...table.values()].map((value) => value.text)).toEqual(['first', 'third']);
  });
});

describe('the roster row codecs', () => {
  it('give back every user row as written (names with any characters, roles in order, optional fields)', () => {
    const user = fc.record({
      line: fc.nat(),
      sourcedId: id,
      givenName: text,
      familyName: text,
      kind: fc.constantFrom('student' as const, 'staff' as const),
      staffRoles: fc.array(fc.constantFrom('teacher' as const, 'school-admin' as const), { maxLength: 3 }),
      schools: fc.array(id, { maxLength: 4 }),
      email: fc.option(text, { nil: undefined }),
      identitySubject: fc.option(text, { nil: undefined }),
      yearLevel: fc.option(fc.integer({ min: 0, max: 13 }), { nil: undefined }),
      addsSchools: fc.boolean(),
      endedSchools: fc.array(id, { maxLength: 3 }),
    });
    fc.assert(
      fc.property(user, (row: UserRow) => {
        const table = new RecordTable(USER_ROWS);
        table.set(row.sourcedId, row);
        expect(table.get(row.sourcedId)).toEqual(row);
      }),
    );
  });

  it('give back every class row and the details of an unchecked user as written', () => {
    const cls = fc.record({ line: fc.nat(), sourcedId: id, title: text, schoolSourcedId: id, terms: fc.array(id, { maxLength: 3 }) });
    const details = fc.record({ grades: fc.option(text, { nil: undefined }), roleNames: fc.uniqueArray(text, { maxLength: 3 }).map((names) => new Set(names)), orgIds: fc.array(id, { maxLength: 3 }), primaryOrg: fc.option(id, { nil: undefined }), staffRolesAt: fc.array(text, { maxLength: 3 }), refusedName: fc.option(text, { nil: undefined }), disabled: fc.boolean(), endedStaffRolesAt: fc.array(text, { maxLength: 3 }), futureRoles: fc.array(text, { maxLength: 3 }) });
    fc.assert(
      fc.property(cls, details, (row: ClassRow, unchecked) => {
        const classes = new RecordTable(CLASS_ROWS);
        classes.set(row.sourcedId, row);
        expect(classes.get(row.sourcedId)).toEqual(row);
        const users = new RecordTable(USER_DETAILS);
        users.set('u', unchecked);
        const back = users.get('u');
        expect(back).toEqual(unchecked);
        expect([...(back?.roleNames ?? [])]).toEqual([...unchecked.roleNames]);
      }),
    );
  });
});
