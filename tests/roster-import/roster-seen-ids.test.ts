import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashOf } from '../../lib/roster-import/roster-id-set.js';
import { SeenIds } from '../../lib/roster-import/roster-seen-ids.js';

describe("a file's sourcedIds seen so far (duplicate check: hashes in memory, ids in a file)", () => {
  it('answers add exactly as a Set of strings would, for any ids, with most ids read back from its file', () => {
    const id = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('a', 'ab', 'æøå', 'æø', 'x'.repeat(255), 'Ø'.repeat(300)));
    fc.assert(
      fc.property(fc.array(id, { maxLength: 300 }), (ids) => {
        const seen = new SeenIds(64);
        const reference = new Set<string>();
        for (const value of ids) {
          expect(seen.add(value)).toBe(!reference.has(value));
          reference.add(value);
        }
        seen.clear();
      }),
    );
  });

  it('tells apart 300,000 distinct ids (among them pairs whose 32-bit hashes collide) and finds each again', () => {
    const id = (index: number) => `enr-${index}-${(index * 7919) % 10_007}`;
    const hashes = new Set<number>();
    for (let index = 0; index < 300_000; index += 1) {
      const bytes = Buffer.from(id(index));
      hashes.add(hashOf(bytes, 0, bytes.length) | 1);
    }
    expect(300_000 - hashes.size).toBeGreaterThan(0); // so the check of the bytes behind a matching hash is exercised
    const seen = new SeenIds();
    let added = 0;
    for (let index = 0; index < 300_000; index += 1) if (seen.add(`enr-${index}-${(index * 7919) % 10_007}`)) added += 1;
    let repeated = 0;
    for (let index = 0; index < 300_000; index += 3) if (!seen.add(`enr-${index}-${(index * 7919) % 10_007}`)) repeated += 1;
    expect({ added, repeated }).toEqual({ added: 300_000, repeated: 100_000 });
    seen.clear();
  });

  it('keeps its ids in one file, closed on clear, and is empty and usable afterwards', () => {
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    const seen = new SeenIds(1024);
    for (let index = 0; index < 5000; index += 1) seen.add(`id-${index}`);
    expect(openFiles()).toBe(before + 1);
    seen.clear();
    expect(openFiles()).toBe(before);
    expect(seen.add('id-1')).toBe(true);
    expect(seen.add('id-1')).toBe(false);
    seen.clear();
  });
});
