import { release, withRoom } from './roster-growth.js';
import { hashOf } from './roster-id-set.js';
import { assertPosition, RecordFile } from './roster-record-file.js';

const EMPTY = 0;
/** Bytes of recent ids kept in memory before they are written to the file. */
const BUFFER_BYTES = 1 << 16;

/**
 * The sourcedIds a file has named so far, to find a row that repeats one: what a `Set` does
 * for `add`, exactly (a hash match is confirmed byte by byte). A file's ids are most of its
 * rows, 600,000 in enrollments.csv at ten times the size, so memory holds per id only
 * its 32-bit hash and where its bytes are, in an open-addressing table at most three quarters
 * full (~11 bytes an id); the bytes themselves go to a temporary file (`RecordFile`) once a
 * 64 KiB buffer of them is full, and are read back only to confirm a match of hashes, which
 * for distinct ids happens a few dozen times in 600,000. Ids are compared as UTF-8, as in
 * `SourcedIdSet`.
 */
export class SeenIds {
  /** By slot: the id's hash (never 0: `EMPTY`), and where its bytes are (a position in the log). */
  private hashes = new Int32Array(1 << 12);
  private positions = new Int32Array(1 << 12);
  private count = 0;
  private file = new RecordFile();
  private buffer: Buffer<ArrayBuffer>;
  private buffered = 0;
  /** Bytes of ids before `buffer` (in the file). */
  private base = 0;
  private scratch: Buffer<ArrayBuffer> = Buffer.alloc(256);

  /** `bufferBytes`: ids kept in memory before a write to the file (smaller in tests, to read ids back from it). */
  constructor(private readonly bufferBytes = BUFFER_BYTES) {
    this.buffer = Buffer.alloc(bufferBytes);
  }

  /** Adds the id; false when it was already seen. */
  add(id: string): boolean {
    const length = Buffer.byteLength(id);
    if (length > 0xffff) throw new Error('a sourcedId longer than 65,535 bytes');
    this.scratch = withRoom(this.scratch, 0, 2 + length);
    this.scratch.writeUInt16LE(length, 0);
    this.scratch.write(id, 2);
    const hash = hashOf(this.scratch, 2, length) | 1; // odd, so never EMPTY
    const mask = this.hashes.length - 1;
    let slot = hash & mask;
    for (; this.hashes[slot] !== EMPTY; slot = (slot + 1) & mask) {
      if (this.hashes[slot] === hash && this.holds(this.positions[slot] ?? 0, length)) return false;
    }
    this.positions[slot] = this.append(length);
    this.hashes[slot] = hash;
    this.count += 1;
    if (this.count * 4 > this.hashes.length * 3) this.rehash();
    return true;
  }

  /** Frees the table, the buffer and the file at once. */
  clear(): void {
    for (const array of [this.hashes, this.positions, this.buffer, this.scratch]) release(array);
    this.file.close();
    this.hashes = new Int32Array(1 << 12);
    this.positions = new Int32Array(1 << 12);
    this.count = 0;
    this.file = new RecordFile();
    this.buffer = Buffer.alloc(this.bufferBytes);
    this.buffered = 0;
    this.base = 0;
    this.scratch = Buffer.alloc(256);
  }

  /** Whether the id at `position` is the one in `scratch` (its length prefix, then `length` bytes). */
  private holds(position: number, length: number): boolean {
    const bytes = 2 + length;
    if (position >= this.base) {
      const at = position - this.base;
      return this.buffer.compare(this.scratch, 0, bytes, at, at + bytes) === 0;
    }
    const read = this.file.read(position, bytes);
    return read >= bytes && this.file.window.compare(this.scratch, 0, bytes, 0, bytes) === 0;
  }

  /** Appends the id in `scratch` to the log; returns its position. */
  private append(length: number): number {
    const bytes = 2 + length;
    if (this.buffered + bytes > this.buffer.length) {
      this.file.append(this.buffer, this.buffered);
      this.base += this.buffered;
      this.buffered = 0;
      this.buffer = withRoom(this.buffer, 0, bytes);
    }
    assertPosition(this.base + this.buffered + bytes);
    this.scratch.copy(this.buffer, this.buffered, 0, bytes);
    this.buffered += bytes;
    return this.base + this.buffered - bytes;
  }

  private rehash(): void {
    const hashes = new Int32Array(this.hashes.length * 2);
    const positions = new Int32Array(this.positions.length * 2);
    const mask = hashes.length - 1;
    for (let old = 0; old < this.hashes.length; old += 1) {
      const hash = this.hashes[old] ?? EMPTY;
      if (hash === EMPTY) continue;
      let slot = hash & mask;
      while (hashes[slot] !== EMPTY) slot = (slot + 1) & mask;
      hashes[slot] = hash;
      positions[slot] = this.positions[old] ?? 0;
    }
    release(this.hashes);
    release(this.positions);
    this.hashes = hashes;
    this.positions = positions;
  }
}
