import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SourcedIdSet } from '../../lib/roster-import/roster-id-set.js';

/** Interns the id; true when it was new (what `Set.add` would have added). */
function added(set: SourcedIdSet, id: string): boolean {
  const before = set.size;
  set.intern(id);
  return set.size > before;
}

describe('a set of sourcedIds (bytes off the V8 heap)', () => {
  it('answers exactly as a Set of strings would, for any ids (also non-ASCII and prefixes of each other)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('a', 'ab', 'abc', 'æøå', 'æø', 'x'.repeat(255)), fc.string({ unit: 'grapheme', maxLength: 8 })), { maxLength: 300 }), (ids) => {
        const compact = new SourcedIdSet();
        const reference = new Set<string>();
        for (const id of ids) {
          expect(added(compact, id)).toBe(!reference.has(id));
          reference.add(id);
        }
        expect(compact.size).toBe(reference.size);
      }),
    );
  });

  it('tells apart many distinct ids of one length (their probes meet, so only the bytes differ)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 3, maxLength: 3 }), { minLength: 1000, maxLength: 2000 }), (ids) => {
        const compact = new SourcedIdSet();
        expect(ids.filter((id) => !added(compact, id))).toEqual([]);
        expect(ids.filter((id) => added(compact, id))).toEqual([]);
      }),
      { numRuns: 20 },
    );
  });

  it('keeps every id across many growths of its table (200,000 ids, each added twice)', () => {
    const ids = new SourcedIdSet();
    let fresh = 0;
    let again = 0;
    for (let index = 0; index < 200_000; index += 1) if (added(ids, `en-s-${index}`)) fresh += 1;
    for (let index = 0; index < 200_000; index += 1) if (!added(ids, `en-s-${index}`)) again += 1;
    expect({ fresh, again, size: ids.size }).toEqual({ fresh: 200_000, again: 200_000, size: 200_000 });
  });
});

describe('the pages of a sourcedId set (64 KiB each, added as it grows, never copied)', () => {
  it('gives every id back whole and finds it again, the longest allowed among short ones, wherever a page ends', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 20_000, max: 65_533 })), { minLength: 1, maxLength: 12 }), (lengths) => {
        const ids = new SourcedIdSet();
        const written = lengths.map((length, index) => `${index}-`.padEnd(length, String.fromCharCode(97 + (index % 26))));
        for (const id of written) ids.intern(id);
        const unique = [...new Set(written)];
        expect(ids.size).toBe(unique.length);
        expect(unique.map((id) => ids.idAt(ids.ordinalOf(id)))).toEqual(unique);
        expect(ids.idBytes).toBe(unique.reduce((sum, id) => sum + 2 + id.length, 0));
      }),
      { numRuns: 30 },
    );
  });

  it('refuses an id longer than 65,533 bytes, which no page could hold with its length field', () => {
    const ids = new SourcedIdSet();
    expect(() => ids.intern('x'.repeat(65_534))).toThrow('65,533');
    expect(ids.size).toBe(0);
    ids.intern('x'.repeat(65_533));
    expect(ids.idAt(0)).toHaveLength(65_533);
  });
});

describe('the ordinals of a sourcedId set (what the record table and the enrollment spill index by)', () => {
  it('numbers ids in the order first added and gives each back by its ordinal, for any ids', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('æøå', 'æø', '😀', 'x'.repeat(4096)), fc.string({ unit: 'grapheme', maxLength: 8 })), { maxLength: 300 }), (ids) => {
        const compact = new SourcedIdSet();
        const firstAdded: string[] = [];
        for (const id of ids) {
          if (!firstAdded.includes(id)) firstAdded.push(id);
          expect(compact.intern(id)).toBe(firstAdded.indexOf(id));
        }
        expect(firstAdded.map((id) => compact.ordinalOf(id))).toEqual(firstAdded.map((_, index) => index));
        expect(firstAdded.map((_, index) => compact.idAt(index))).toEqual(firstAdded);
        expect(compact.ordinalOf('not-added-ø')).toBe(firstAdded.includes('not-added-ø') ? firstAdded.indexOf('not-added-ø') : -1);
        expect(compact.has('not-added-ø')).toBe(firstAdded.includes('not-added-ø'));
      }),
    );
  });

  it('looks an id up without adding it, and refuses an ordinal it never gave out', () => {
    const ids = new SourcedIdSet();
    ids.intern('stu-1');
    expect({ absent: ids.ordinalOf('stu-2'), size: ids.size, present: ids.ordinalOf('stu-1') }).toEqual({ absent: -1, size: 1, present: 0 });
    expect(() => ids.idAt(1)).toThrow(RangeError);
  });
});

describe('UUIDs in a sourcedId set (the member ids are document ids; OneRoster sourcedIds are often GUIDs)', () => {
  const hex = (upper: boolean) => fc.constantFrom(...(upper ? '0123456789ABCDEF' : '0123456789abcdef'));
  const uuidOf = (upper: boolean) => fc.array(hex(upper), { minLength: 32, maxLength: 32 }).map((digits) => `${digits.slice(0, 8).join('')}-${digits.slice(8, 12).join('')}-${digits.slice(12, 16).join('')}-${digits.slice(16, 20).join('')}-${digits.slice(20).join('')}`);
  /** A UUID and an id its compact form could be confused with: the same UUID in the other case or mixed, a dash moved, a digit too many or too few, a non-hex letter. */
  const nearUuids = fc.tuple(uuidOf(false), fc.nat({ max: 35 }), fc.constantFrom('mixed', 'dash', 'long', 'short', 'letter', 'upper')).map(([uuid, at, how]) => {
    if (how === 'mixed') return [uuid, `${uuid.slice(0, at)}${uuid.slice(at).toUpperCase()}`];
    if (how === 'dash') return [uuid, `${uuid.slice(0, 8)}${uuid.slice(9, 10)}-${uuid.slice(10)}`];
    if (how === 'long') return [uuid, `${uuid}0`];
    if (how === 'short') return [uuid, uuid.slice(1)];
    if (how === 'letter') return [uuid, `${uuid.slice(0, 35)}g`];
    return [uuid, uuid.toUpperCase()];
  });
  const one = (id: fc.Arbitrary<string>) => id.map((value) => [value]);
  const anyIds = fc.array(fc.oneof(one(uuidOf(false)), one(uuidOf(true)), nearUuids, one(fc.string({ minLength: 16, maxLength: 16 })), one(fc.string({ maxLength: 40 }))), { maxLength: 100 }).map((groups) => groups.flat());

  it('answers exactly as a Set of strings would and gives every id back as written, UUIDs of either case and look-alikes among them', () => {
    fc.assert(
      fc.property(anyIds.chain((ids) => fc.shuffledSubarray(ids).map((again) => [...ids, ...again])), (ids) => {
        const compact = new SourcedIdSet();
        const reference = new Set<string>();
        for (const id of ids) {
          expect(added(compact, id)).toBe(!reference.has(id));
          reference.add(id);
        }
        expect([...reference].map((_, ordinal) => compact.idAt(ordinal))).toEqual([...reference]);
        expect([...reference].map((id) => compact.ordinalOf(id))).toEqual([...reference].map((_, ordinal) => ordinal));
      }),
    );
  });

  it('keeps a UUID of one case in 16 bytes and its length field, and any other id as its UTF-8', () => {
    const uuids = new SourcedIdSet();
    for (let index = 0; index < 1000; index += 1) uuids.intern(`${String(index).padStart(8, '0')}-aaaa-4bbb-8ccc-${String(index).padStart(12, 'f')}`);
    for (let index = 0; index < 1000; index += 1) uuids.intern(`${String(index).padStart(8, '0')}-AAAA-4BBB-8CCC-${String(index).padStart(12, 'F')}`);
    expect(uuids.idBytes).toBe(2000 * (2 + 16));
    const others = new SourcedIdSet();
    for (let index = 0; index < 1000; index += 1) others.intern(`${String(index).padStart(8, '0')}-aaaa-4BBB-8ccc-${String(index).padStart(12, 'f')}`);
    expect(others.idBytes).toBe(1000 * (2 + 36));
  });
});
