import { grownArray, Int32Pages, release, withRoom } from './roster-growth.js';

const EMPTY = -1;
const ABSENT = -1;
/** An id's length field: its UTF-8 length, or one of these for an id kept as a UUID's 16 bytes. */
const UUID_LOWER = 0xffff;
const UUID_UPPER = 0xfffe;
const MAX_ID_BYTES = 0xfffd;
/** Bytes of ids a page holds: an id, its length field included, always fits one. */
const PAGE_BITS = 16;
const PAGE_BYTES = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_BYTES - 1;
/** An id's place is its page and its offset in one int32. */
const MAX_PAGES = 1 << (31 - PAGE_BITS);
/** Where an id is written to be looked up (the sets are used one call at a time). */
let candidate = Buffer.alloc(256);

/**
 * A set of sourcedIds as an open-addressing hash over the ids' UTF-8 bytes, each id numbered
 * by the order it was first added (its ordinal: 0, 1, 2...). A roster's user ids are 108,000
 * at ten times the issue's size; a `Set<string>` keeps each as a string of its own plus a
 * table entry (~50 bytes for a 12-character id), here it is the bytes, a length, its place by
 * ordinal and a 4-byte slot at most half full (~26 bytes), all off the V8 heap. The bytes and
 * places are in pages that are added, never copied: one buffer grown by doubling was up to
 * half unused, and held old and new while it copied. Exact: a hash match is confirmed byte
 * by byte. The ordinal lets a caller keep what it knows of an id in arrays indexed by it
 * (`RecordTable`, the enrollment spill). (A file's duplicate check, which needs no ordinals
 * and no id back, is `SeenIds`.)
 *
 * An id is kept as UTF-8, so a lone UTF-16 surrogate (which no decoded CSV holds: the
 * decoder has replaced it already) would read back as U+FFFD. An id written as a UUID
 * (36 characters, hex digits of one case) is kept as its 16 bytes and the case: the planner's
 * member ids are document ids, all UUIDs, and OneRoster sourcedIds are GUIDs in most exports,
 * so most ids take 20 bytes less (108,000 member ids at ten times the issue's size: 2.2 MB).
 */
export class SourcedIdSet {
  /** The ids, each as its length field and bytes, in pages of `PAGE_BYTES`; an id never straddles two. */
  private pages: Buffer<ArrayBuffer>[] = [];
  /** Bytes used of the last page (a full one, before the first id: the first id opens a page). */
  private pageUsed = PAGE_BYTES;
  /** Bytes of every id, length fields included. */
  private used = 0;
  /** Where each id is (its page, times `PAGE_BYTES`, plus its offset), by ordinal. */
  private readonly places = new Int32Pages(12);
  /** Ordinals, at their hash's slot or the next free one after it. */
  private slots = new Int32Array(1 << 12).fill(EMPTY);
  private count = 0;

  /** Empties the set and frees its memory at once (not when the garbage collector comes to it). */
  clear(): void {
    for (const page of this.pages.splice(0)) release(page);
    this.pageUsed = PAGE_BYTES;
    this.used = 0;
    this.places.clear();
    release(this.slots);
    this.slots = new Int32Array(1 << 12).fill(EMPTY);
    this.count = 0;
  }

  get size(): number {
    return this.count;
  }

  /** Bytes the ids take, their length fields included (what a UUID's compact form saves shows here). */
  get idBytes(): number {
    return this.used;
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
    const place = this.places.get(ordinal);
    const page = this.pageOf(place);
    const at = place & PAGE_MASK;
    const tag = page.readUInt16LE(at);
    return tag >= UUID_UPPER ? uuidText(page, at + 2, tag === UUID_UPPER) : page.toString('utf8', at + 2, at + 2 + tag);
  }

  /** The id is written where it is looked up from (`candidate`), then copied to the last page when it is new. */
  private find(id: string, insert: boolean): number {
    candidate = withRoom(candidate, 0, 2 + Buffer.byteLength(id));
    const tag = writeId(id, candidate, 2);
    const length = storedLength(tag);
    const mask = this.slots.length - 1;
    let slot = hashOf(candidate, 2, length) & mask;
    for (let ordinal = this.slots[slot] ?? EMPTY; ordinal !== EMPTY; ordinal = this.slots[slot] ?? EMPTY) {
      const place = this.places.get(ordinal);
      const page = this.pageOf(place);
      const at = place & PAGE_MASK;
      if (page.readUInt16LE(at) === tag && page.compare(candidate, 2, 2 + length, at + 2, at + 2 + length) === 0) return ordinal;
      slot = (slot + 1) & mask;
    }
    if (!insert) return ABSENT;
    if (this.pageUsed + 2 + length > PAGE_BYTES) this.addPage();
    const page = this.pages[this.pages.length - 1] as Buffer;
    page.writeUInt16LE(tag, this.pageUsed);
    candidate.copy(page, this.pageUsed + 2, 2, 2 + length);
    const ordinal = this.count;
    this.places.set(ordinal, (this.pages.length - 1) * PAGE_BYTES + this.pageUsed);
    this.slots[slot] = ordinal;
    this.pageUsed += 2 + length;
    this.used += 2 + length;
    this.count += 1;
    if (this.count * 2 > this.slots.length) this.rehash();
    return ordinal;
  }

  /** The page an id's place is in (its offset there is `place & PAGE_MASK`). */
  private pageOf(place: number): Buffer {
    return this.pages[place >>> PAGE_BITS] as Buffer;
  }

  private addPage(): void {
    if (this.pages.length === MAX_PAGES) throw new RangeError('a set of sourcedIds grew past 2 GiB');
    this.pages.push(Buffer.alloc(PAGE_BYTES));
    this.pageUsed = 0;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    for (let ordinal = 0; ordinal < this.count; ordinal += 1) {
      const place = this.places.get(ordinal);
      const page = this.pageOf(place);
      const at = place & PAGE_MASK;
      let slot = hashOf(page, at + 2, storedLength(page.readUInt16LE(at))) & mask;
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

/** Writes the id at `at` (a UUID as its 16 bytes, anything else as UTF-8); returns its length field. */
function writeId(id: string, out: Buffer, at: number): number {
  const uuid = uuidCase(id);
  if (uuid === undefined) {
    const length = out.write(id, at);
    if (length > MAX_ID_BYTES) throw new Error('a sourcedId longer than 65,533 bytes');
    return length;
  }
  let byte = 0;
  let digits = 0;
  for (let index = 0; index < 36; index += 1) {
    const code = id.charCodeAt(index);
    if (code === 0x2d) continue;
    byte = (byte << 4) | (code <= 0x39 ? code - 0x30 : (code | 0x20) - 0x57);
    digits += 1;
    if (digits % 2 === 0) {
      out[at + digits / 2 - 1] = byte;
      byte = 0;
    }
  }
  return uuid;
}

/** `UUID_LOWER` or `UUID_UPPER` for a UUID whose letters are all of that case (digits alone count as lower), else undefined. */
function uuidCase(id: string): number | undefined {
  if (id.length !== 36) return undefined;
  let lower = false;
  let upper = false;
  for (let index = 0; index < 36; index += 1) {
    const code = id.charCodeAt(index);
    if (index === 8 || index === 13 || index === 18 || index === 23) {
      if (code !== 0x2d) return undefined;
    } else if (code >= 0x61 && code <= 0x66) lower = true;
    else if (code >= 0x41 && code <= 0x46) upper = true;
    else if (code < 0x30 || code > 0x39) return undefined;
  }
  if (lower && upper) return undefined;
  return upper ? UUID_UPPER : UUID_LOWER;
}

function storedLength(tag: number): number {
  return tag >= UUID_UPPER ? 16 : tag;
}

const HEX_LOWER = Buffer.from('0123456789abcdef', 'latin1');
const HEX_UPPER = Buffer.from('0123456789ABCDEF', 'latin1');
const uuidScratch = Buffer.alloc(36);

/** A UUID's text from its 16 bytes, as one flat string (a template of slices would be a tree of them). */
function uuidText(bytes: Buffer, from: number, upper: boolean): string {
  const digits = upper ? HEX_UPPER : HEX_LOWER;
  let out = 0;
  for (let index = 0; index < 16; index += 1) {
    if (index === 4 || index === 6 || index === 8 || index === 10) uuidScratch[out++] = 0x2d;
    const byte = bytes[from + index] ?? 0;
    uuidScratch[out++] = digits[byte >> 4] ?? 0;
    uuidScratch[out++] = digits[byte & 0x0f] ?? 0;
  }
  return uuidScratch.toString('latin1');
}

/** FNV-1a over the bytes (32 bits). */
export function hashOf(bytes: Buffer, start: number, length: number): number {
  let hash = 0x811c9dc5;
  for (let index = start; index < start + length; index += 1) hash = Math.imul(hash ^ (bytes[index] ?? 0), 0x01000193);
  return hash >>> 0;
}
