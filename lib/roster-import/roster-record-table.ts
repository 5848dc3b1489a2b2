import { grownArray, release, withRoom } from './roster-growth.js';
import { SourcedIdSet } from './roster-id-set.js';
import { assertPosition, RecordFile } from './roster-record-file.js';

const NOT_HELD = -1;
/** Below this many bytes of records an arena is not worth compacting. */
const COMPACT_FROM = 1 << 20;
/** Bytes of recent records a spilled table keeps in memory before it writes them to its file. */
const SPILL_FROM = 1 << 18;

export interface RecordTableOptions {
  /**
   * The id set to number rows by, when tables of the same kind of id share one (the roster's
   * user tables: a sourcedId is then kept once, not once a table). The table iterates in the
   * order of the shared set, over the ids it holds a row for.
   */
  ids?: SourcedIdSet;
  /**
   * Records past the most recent 256 KiB go to a temporary file (`RecordFile`) and are read
   * back one positioned read a `get`: for the tables that grow with the roster's users. A
   * record set again leaves its old bytes in the file (it is not compacted).
   */
  spilled?: boolean;
}

/** Writes the fields of one record, one after the other. */
export interface RecordWriter {
  uint(value: number): void;
  string(value: string): void;
  optionalString(value: string | undefined): void;
  strings(values: Iterable<string>): void;
}

/** Reads the fields of one record back, in the order they were written. */
export interface RecordReader {
  uint(): number;
  string(): string;
  optionalString(): string | undefined;
  strings(): string[];
}

/** How one kind of row is kept as bytes; `read` gets the row's id back, so a record need not repeat it. */
export interface RecordCodec<T> {
  write(value: T, out: RecordWriter): void;
  read(input: RecordReader, id: string): T;
}

/**
 * Rows by sourcedId, as the reader and planner hold every user and class of a roster: the ids
 * in a `SourcedIdSet`, each row encoded by its codec into one growing buffer, and per id
 * ordinal where its record starts. All of it is off the V8 heap: 100,000 users are ~7 MiB of
 * bytes, where objects in a `Map` were ~50 MiB of live heap (and peak RSS grows ~4x faster
 * than the live heap: V8 lets the old generation grow with it before it collects).
 *
 * What `Map` does, for the part the roster uses, with two differences: `get` decodes a fresh
 * copy (a change to it is kept only by a `set`), and the order of iteration is the order of
 * the id set: the order ids were first set, or for a table sharing its id set (`ids`), the
 * order they were first added to the shared set (a deleted id set again keeps its place). A
 * `set` of an id already held writes a new record and leaves the old one dead; the buffer is
 * compacted when the dead bytes outweigh the live ones, except in a spilled table
 * (`spilled`), whose older records are in a file and stay there until the table is cleared.
 */
export class RecordTable<T> implements Iterable<[string, T]> {
  private readonly ids: SourcedIdSet;
  private readonly sharesIds: boolean;
  /** Where each id's record starts in the arena, by the id's ordinal; -1 when the table holds no row for it (deleted). */
  private starts = new Int32Array(1 << 10).fill(NOT_HELD);
  private arena: Arena;
  private count = 0;
  private dead = 0;

  private readonly spilled: boolean;

  constructor(
    private readonly codec: RecordCodec<T>,
    { ids, spilled = false }: RecordTableOptions = {},
  ) {
    this.ids = ids ?? new SourcedIdSet();
    this.sharesIds = ids !== undefined;
    this.spilled = spilled;
    this.arena = this.newArena();
  }

  get size(): number {
    return this.count;
  }

  has(id: string): boolean {
    return this.startOf(this.ids.ordinalOf(id)) !== NOT_HELD;
  }

  get(id: string): T | undefined {
    const start = this.startOf(this.ids.ordinalOf(id));
    return start === NOT_HELD ? undefined : this.decode(start, id);
  }

  set(id: string, value: T): this {
    const ordinal = this.ids.intern(id);
    if (ordinal >= this.starts.length) this.starts = grownArray(this.starts, ordinal + 1, NOT_HELD);
    const previous = this.starts[ordinal] ?? NOT_HELD;
    this.starts[ordinal] = this.arena.append((out) => this.codec.write(value, out));
    if (previous === NOT_HELD) this.count += 1;
    else this.retire(previous);
    return this;
  }

  delete(id: string): boolean {
    const ordinal = this.ids.ordinalOf(id);
    const start = this.startOf(ordinal);
    if (start === NOT_HELD) return false;
    this.starts[ordinal] = NOT_HELD;
    this.count -= 1;
    this.retire(start);
    return true;
  }

  /** Frees every row and id at once (the buffers start small again). */
  clear(): void {
    if (!this.sharesIds) this.ids.clear();
    release(this.starts);
    this.starts = new Int32Array(1 << 10).fill(NOT_HELD);
    this.arena.release();
    this.arena = this.newArena();
    this.count = 0;
    this.dead = 0;
  }

  *entries(): IterableIterator<[string, T]> {
    // Ordinal by ordinal, reading `starts` afresh each time: a row set or deleted meanwhile is seen as it is now.
    for (let ordinal = 0; ordinal < this.ids.size; ordinal += 1) {
      const start = this.startOf(ordinal);
      if (start === NOT_HELD) continue;
      const id = this.ids.idAt(ordinal);
      yield [id, this.decode(start, id)];
    }
  }

  *keys(): IterableIterator<string> {
    for (let ordinal = 0; ordinal < this.ids.size; ordinal += 1) if (this.startOf(ordinal) !== NOT_HELD) yield this.ids.idAt(ordinal);
  }

  *values(): IterableIterator<T> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, T]> {
    return this.entries();
  }

  private startOf(ordinal: number): number {
    return ordinal < 0 ? NOT_HELD : (this.starts[ordinal] ?? NOT_HELD);
  }

  private decode(start: number, id: string): T {
    return this.codec.read(this.arena.fields(start), id);
  }

  private newArena(): Arena {
    return new Arena(undefined, this.spilled ? new RecordFile() : undefined);
  }

  private retire(start: number): void {
    if (this.spilled) return; // the dead bytes are on disk
    this.dead += this.arena.recordBytes(start);
    if (this.arena.used >= COMPACT_FROM && this.dead * 2 > this.arena.used) this.compact();
  }

  /** Copies the live records, in ordinal order, into a new arena just big enough for them. */
  private compact(): void {
    const arena = new Arena(this.arena.used - this.dead);
    for (let ordinal = 0; ordinal < this.ids.size; ordinal += 1) {
      const start = this.startOf(ordinal);
      if (start !== NOT_HELD) this.starts[ordinal] = arena.copyFrom(this.arena, start);
    }
    this.arena.release();
    this.arena = arena;
    this.dead = 0;
  }
}

/**
 * Records one after the other in a growing buffer, each behind its length (a varint). With a
 * file, the buffer holds only the records past `base` (what the file holds): once it holds
 * `SPILL_FROM` bytes, they are written out before the next record. Positions count from the
 * first record ever written, in the file or not.
 */
class Arena implements RecordWriter {
  private bytes: Buffer<ArrayBuffer>;
  used = 0;
  private base = 0;
  private readonly cursor = new Cursor();

  constructor(
    capacity = 1 << 16,
    private readonly file?: RecordFile,
  ) {
    this.bytes = Buffer.alloc(Math.max(capacity, 64));
  }

  /** Writes one record; returns where it starts. */
  append(write: (out: RecordWriter) => void): number {
    if (this.file && this.used >= SPILL_FROM) {
      this.file.append(this.bytes, this.used);
      this.base += this.used;
      this.used = 0;
    }
    const start = this.used;
    // Room for the longest length prefix; the record is moved back when its length takes fewer bytes.
    this.reserve(5);
    this.used += 5;
    try {
      write(this);
    } catch (error) {
      this.used = start; // a record the codec could not write is not kept in part
      throw error;
    }
    const length = this.used - start - 5;
    const prefix = varintBytes(length);
    if (prefix < 5) this.bytes.copy(this.bytes, start + prefix, start + 5, this.used);
    this.used = start;
    this.uint(length);
    this.used += length;
    assertPosition(this.base + this.used);
    return this.base + start;
  }

  /** Frees the arena's memory (and file) at once; nothing can be read from it afterwards. */
  release(): void {
    release(this.bytes);
    this.file?.close();
  }

  /** Bytes of the record at `start`, its length prefix included. */
  recordBytes(start: number): number {
    const length = this.cursorAt(start).uint();
    return varintBytes(length) + length;
  }

  copyFrom(source: Arena, start: number): number {
    const bytes = source.recordBytes(start);
    this.reserve(bytes);
    source.bytes.copy(this.bytes, this.used, start, start + bytes);
    this.used += bytes;
    return this.used - bytes;
  }

  /** A reader positioned on the fields of the record at `start`, past its length (one reader, reused: records are read one at a time). */
  fields(start: number): Cursor {
    if (start >= this.base) {
      const cursor = this.cursorAt(start - this.base);
      cursor.uint();
      return cursor;
    }
    // A record in the file: its length prefix tells whether the first read holds all of it.
    const file = this.file as RecordFile;
    const read = file.read(start);
    this.cursor.bytes = file.window;
    this.cursor.at = 0;
    const length = this.cursor.uint();
    const whole = this.cursor.at + length;
    if (whole > read) {
      file.read(start, whole);
      this.cursor.bytes = file.window;
      this.cursor.at = whole - length;
    }
    return this.cursor;
  }

  private cursorAt(start: number): Cursor {
    this.cursor.bytes = this.bytes;
    this.cursor.at = start;
    return this.cursor;
  }

  uint(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`not a 32-bit unsigned integer: ${value}`);
    this.reserve(5);
    let rest = value;
    while (rest >= 0x80) {
      this.bytes[this.used++] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.bytes[this.used++] = rest;
  }

  string(value: string): void {
    const length = Buffer.byteLength(value);
    this.uint(length);
    this.reserve(length);
    this.used += this.bytes.write(value, this.used);
  }

  /** 0 for none, else the length plus one, then the bytes. */
  optionalString(value: string | undefined): void {
    if (value === undefined) {
      this.uint(0);
      return;
    }
    const length = Buffer.byteLength(value);
    this.uint(length + 1);
    this.reserve(length);
    this.used += this.bytes.write(value, this.used);
  }

  strings(values: Iterable<string>): void {
    const list = Array.isArray(values) ? (values as readonly string[]) : [...values];
    this.uint(list.length);
    for (const value of list) this.string(value);
  }

  private reserve(bytes: number): void {
    this.bytes = withRoom(this.bytes, this.used, this.used + bytes);
  }
}

/** Where a read is in an arena's bytes. */
class Cursor implements RecordReader {
  bytes: Buffer = Buffer.alloc(0);
  at = 0;

  uint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.bytes[this.at++] ?? 0;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  }

  string(): string {
    return this.text(this.uint());
  }

  optionalString(): string | undefined {
    const tag = this.uint();
    return tag === 0 ? undefined : this.text(tag - 1);
  }

  strings(): string[] {
    const values: string[] = [];
    for (let count = this.uint(); count > 0; count -= 1) values.push(this.string());
    return values;
  }

  private text(length: number): string {
    this.at += length;
    return this.bytes.toString('utf8', this.at - length, this.at);
  }
}

function varintBytes(value: number): number {
  let bytes = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes += 1;
  return bytes;
}
