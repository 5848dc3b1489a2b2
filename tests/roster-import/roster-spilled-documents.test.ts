import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SpilledDocuments } from '../../lib/roster-import/roster-spilled-documents.js';

interface Document {
  id: string;
  names: string[];
}

const document = (n: number, size = 3): Document => ({ id: `doc-${n}`, names: Array.from({ length: size }, (_, index) => `Åse ${n}.${index}`) });

describe('SpilledDocuments (documents by key in a temporary file)', () => {
  it('gives back every document as set, in the order keys were first set, across write borders and from the unwritten buffer', () => {
    // Writes of 256 bytes (~4 documents): most are on disk, the last ones still in the buffer.
    const spilled = new SpilledDocuments<Document>(256);
    for (let n = 0; n < 200; n += 1) spilled.set(`k-${n}`, document(n));
    expect(spilled.size).toBe(200);
    for (let n = 0; n < 200; n += 1) expect(spilled.get(`k-${n}`)).toEqual(document(n));
    expect([...spilled.keys()]).toEqual(Array.from({ length: 200 }, (_, n) => `k-${n}`));
    expect([...spilled].map(([key, value]) => [key, value.id])).toEqual(Array.from({ length: 200 }, (_, n) => [`k-${n}`, `doc-${n}`]));
    expect(spilled.has('k-7')).toBe(true);
    expect(spilled.has('k-200')).toBe(false);
    expect(spilled.get('k-200')).toBeUndefined();
    spilled.discard();
  });

  it('keeps a document longer than its write buffer, and one set again (in its first place)', () => {
    const spilled = new SpilledDocuments<Document>(64);
    spilled.set('a', document(1));
    spilled.set('long', document(2, 500));
    spilled.set('b', document(3));
    spilled.set('a', document(4, 40));
    expect(spilled.get('long')).toEqual(document(2, 500));
    expect(spilled.get('a')).toEqual(document(4, 40));
    expect(spilled.get('b')).toEqual(document(3));
    expect([...spilled.keys()]).toEqual(['a', 'long', 'b']);
    expect(spilled.size).toBe(3);
    spilled.discard();
  });

  it('gives a copy: a change to what get returned is kept only by set', () => {
    const spilled = new SpilledDocuments<Document>();
    spilled.set('a', document(1));
    const copy = spilled.get('a');
    copy?.names.push('changed');
    expect(spilled.get('a')).toEqual(document(1));
    spilled.discard();
  });

  it('closes its file when discarded, and reads nothing afterwards', () => {
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    const spilled = new SpilledDocuments<Document>(64);
    for (let n = 0; n < 20; n += 1) spilled.set(`k-${n}`, document(n));
    expect(openFiles()).toBe(before + 1);
    spilled.discard();
    expect(openFiles()).toBe(before);
    spilled.discard();
    expect(() => spilled.get('k-1')).toThrow(/discarded/);
    expect(() => spilled.has('k-1')).toThrow(/discarded/);
    expect(() => spilled.set('k-21', document(21))).toThrow(/discarded/);
  });
});
