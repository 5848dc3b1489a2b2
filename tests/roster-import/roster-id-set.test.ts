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
