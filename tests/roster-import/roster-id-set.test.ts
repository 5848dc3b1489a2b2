import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SourcedIdSet } from '../../lib/roster-import/roster-id-set.js';

describe('the sourcedIds of a file (duplicate check)', () => {
  it('answers exactly as a Set of strings would, for any ids (also non-ASCII and prefixes of each other)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('a', 'ab', 'abc', 'æøå', 'æø', 'x'.repeat(255)), fc.string({ unit: 'grapheme', maxLength: 8 })), { maxLength: 300 }), (ids) => {
        const compact = new SourcedIdSet();
        const reference = new Set<string>();
        for (const id of ids) {
          expect(compact.add(id)).toBe(!reference.has(id));
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
        expect(ids.filter((id) => !compact.add(id))).toEqual([]);
        expect(ids.filter((id) => compact.add(id))).toEqual([]);
      }),
      { numRuns: 20 },
    );
  });

  it('keeps every id across many growths of its table (200,000 ids, each added twice)', () => {
    const ids = new SourcedIdSet();
    let fresh = 0;
    let again = 0;
    for (let index = 0; index < 200_000; index += 1) if (ids.add(`en-s-${index}`)) fresh += 1;
    for (let index = 0; index < 200_000; index += 1) if (!ids.add(`en-s-${index}`)) again += 1;
    expect({ fresh, again, size: ids.size }).toEqual({ fresh: 200_000, again: 200_000, size: 200_000 });
  });
});
