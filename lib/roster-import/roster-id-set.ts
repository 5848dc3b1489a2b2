import { grownArray, release, withRoom } from './roster-growth.js';

const EMPTY = -1;
const ABSENT = -1;

/**
 * A set of sourcedIds as an open-addressing hash over the ids' UTF-8 bytes in one buffer,
 * each id numbered by the order it was first added (its ordinal: 0, 1, 2...). A roster's
 * user ids are 108,000 at ten times the issue's size; a `Set<string>` keeps each as a string of its own plus a table entry (~50 bytes for a
 * 12-character id), here it is the bytes, a length, its start by ordinal and a 4-byte slot
 * at most half full (~26 bytes), all off the V8 heap. Exact: a hash match is confirmed byte
 * by byte. The ordinal lets a caller keep what it knows of an id in arrays indexed by it
 * (`RecordTable`, the enrollment spill). (A file's duplicate check, which needs no ordinals
 * and no id back, is `SeenIds`.)
 *
 * An id is kept as UTF-8, so a lone UTF-16 surrogate (which no decoded CSV holds: the
 * decoder has replaced it already) would read back as U+FFFD.
 */
export class SourcedIdSet {
  private bytes = Buffer.alloc(1 << 16);
  private used = 0;
  /** Where each id's length and bytes start in `bytes`, by ordinal. */
  private starts = new Int32Array(1 << 11);
  /** Ordinals, at their hash's slot or the next free one after it. */
  private slots = new Int32Array(1 << 12).fill(EMPTY);
  private count = 0;

  /** Empties the set and frees its memory at once (not when the garbage collector comes to it). */
  clear(): void {
    for (const array of [this.bytes, this.starts, this.slots]) release(array);
    this.bytes = Buffer.alloc(1 << 16);
    this.used = 0;
    this.starts = new Int32Array(1 << 11);
    this.slots = new Int32Array(1 << 12).fill(EMPTY);
    this.count = 0;
  }

  get size(): number {
    return this.count;
  }

  has(id: string): boolean {
    return this.find(id, false) !== ABSENT;
  }

  /** The id's ordinal, adding the id when it is new. */
  intern(id: string): number {
    return this.find(id, true);
  }

  /** The id's ordinal; -1 when the set does not hold it. */
  ordinalOf(id: string): number {
    return this.find(id, false);
  }

  /** The id of an ordinal this set gave out. */
  idAt(ordinal: number): string {
    if (!(ordinal >= 0 && ordinal < this.count)) throw new RangeError(`no id has the ordinal ${ordinal}`);
    const at = this.starts[ordinal] ?? 0;
    return this.bytes.toString('utf8', at + 2, at + 2 + this.bytes.readUInt16LE(at));
  }

  /** The id is written after the last one first (that is where a new one goes), then looked up by those bytes. */
  private find(id: string, insert: boolean): number {
    this.reserve(2 + Buffer.byteLength(id));
    const start = this.used + 2;
    const length = this.bytes.write(id, start);
    if (length > 0xffff) throw new Error('a sourcedId longer than 65,535 bytes');
    const mask = this.slots.length - 1;
    let slot = hashOf(this.bytes, start, length) & mask;
    for (let ordinal = this.slots[slot] ?? EMPTY; ordinal !== EMPTY; ordinal = this.slots[slot] ?? EMPTY) {
      const at = this.starts[ordinal] ?? 0;
      if (this.bytes.readUInt16LE(at) === length && this.bytes.compare(this.bytes, start, start + length, at + 2, at + 2 + length) === 0) return ordinal;
      slot = (slot + 1) & mask;
    }
    if (!insert) return ABSENT;
    const ordinal = this.count;
    if (ordinal === this.starts.length) this.starts = grownArray(this.starts, ordinal + 1, 0);
    this.bytes.writeUInt16LE(length, this.used);
    this.starts[ordinal] = this.used;
    this.slots[slot] = ordinal;
    this.used = start + length;
    this.count += 1;
    if (this.count * 2 > this.slots.length) this.rehash();
    return ordinal;
  }

  private reserve(bytes: number): void {
    this.bytes = withRoom(this.bytes, this.used, this.used + bytes);
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    for (let ordinal = 0; ordinal < this.count; ordinal += 1) {
      const at = this.starts[ordinal] ?? 0;
      let slot = hashOf(this.bytes, at + 2, this.bytes.readUInt16LE(at)) & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = ordinal;
    }
    release(this.slots);
    this.slots = slots;
  }
}

/**
 * Some of the ids of a `SourcedIdSet`, as a flag per ordinal: a subset of a roster's users
 * costs a byte an id, not another copy of the ids.
 */
export class SourcedIdSubset {
  private flags = new Uint8Array(1 << 10);

  constructor(private readonly ids: SourcedIdSet) {}

  add(id: string): void {
    const ordinal = this.ids.intern(id);
    if (ordinal >= this.flags.length) this.flags = grownArray(this.flags, ordinal + 1, 0);
    this.flags[ordinal] = 1;
  }

  has(id: string): boolean {
    return this.flags[this.ids.ordinalOf(id)] === 1;
  }
}

/** FNV-1a over the bytes (32 bits). */
export function hashOf(bytes: Buffer, start: number, length: number): number {
  let hash = 0x811c9dc5;
  for (let index = start; index < start + length; index += 1) hash = Math.imul(hash ^ (bytes[index] ?? 0), 0x01000193);
  return hash >>> 0;
}
