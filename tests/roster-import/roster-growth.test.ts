import { describe, expect, it } from 'vitest';
import { grownArray, Int32Pages, release, withRoom } from '../../lib/roster-import/roster-growth.js';
import { SourcedIdSet } from '../../lib/roster-import/roster-id-set.js';

describe('how the roster tables grow', () => {
  it('keep what was written, fill the new part, and free the outgrown array at once', () => {
    const small = new Int32Array([1, 2, 3]);
    const grown = grownArray(small, 5, -1);
    expect([...grown]).toEqual([1, 2, 3, -1, -1, -1]);
    expect(small.buffer.byteLength).toBe(0); // detached: its memory is freed now, not at the next collection
    const bytes = Buffer.alloc(4);
    bytes.write('abcd');
    const roomy = withRoom(bytes, 4, 10);
    expect(roomy.toString('latin1', 0, 4)).toBe('abcd');
    expect(roomy.length).toBeGreaterThanOrEqual(10);
    expect(bytes.buffer.byteLength).toBe(0);
    expect(withRoom(roomy, 4, 8)).toBe(roomy);
  });

  it('never release a view into a buffer others share (Node pools small buffers)', () => {
    const pooled = Buffer.from('kari');
    const neighbour = Buffer.from('ola');
    release(pooled);
    expect(pooled.toString()).toBe('kari');
    expect(neighbour.toString()).toBe('ola');
  });

  it('pages of int32 values keep every value set, across pages, and read 0 where nothing was set', () => {
    const pages = new Int32Pages();
    const indexes = [0, 1, 65_535, 65_536, 65_537, 200_000, 131_071];
    for (const index of indexes) pages.set(index, -index - 1);
    for (const index of indexes) expect(pages.get(index)).toBe(-index - 1);
    expect([pages.get(2), pages.get(199_999), pages.get(10_000_000)]).toEqual([0, 0, 0]);
  });

  it('a cleared id set is empty and usable again', () => {
    const ids = new SourcedIdSet();
    for (let n = 0; n < 5000; n += 1) ids.intern(`id-${n}`);
    ids.clear();
    expect(ids.size).toBe(0);
    expect(ids.has('id-1')).toBe(false);
    expect(ids.intern('id-7')).toBe(0);
    expect(ids.idAt(0)).toBe('id-7');
  });
});
