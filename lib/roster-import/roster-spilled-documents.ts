import { grownArray } from './roster-growth.js';
import { SourcedIdSet } from './roster-id-set.js';
import { assertPosition, RecordFile } from './roster-record-file.js';

/** Bytes of JSON gathered before one write to the file. */
const WRITE_BYTES = 1 << 20;

/**
 * Documents by key, kept as JSON in a temporary file while a plan step compares the roster
 * with the directory. At ten times the size the directory is 123,000 documents and
 * 110 MB of JSON; held in `Map`s it made the re-import's peak RSS 1.8x that of the issue's
 * size. Here memory holds the keys (a `SourcedIdSet`), where each document lies and one
 * buffer of unwritten JSON; the documents are in the file (the kernel's page cache, not this
 * process's memory), and a `get` is one positioned read and a parse.
 *
 * Synchronous, because the planner looks documents up inside its loops; a read of a recent
 * write is served from the page cache in microseconds. A `get` returns a fresh copy, as
 * `RecordTable` does (a change is kept only by a `set`); a key set again points to its new
 * copy. The file lives as the enrollment spill does: its name is removed as soon as it is
 * open, and `discard` (or the end of the process) frees it.
 */
export class SpilledDocuments<T> implements Iterable<[string, T]> {
  private readonly ids = new SourcedIdSet();
  /** Where each key's document starts in the file (or in `pending`, past what is written), by the key's ordinal. */
  private starts = new Int32Array(1 << 10);
  private lengths = new Int32Array(1 << 10);
  private readonly file = new RecordFile();
  private pending: Buffer;
  private pendingUsed = 0;
  private discarded = false;

  /** `writeBytes`: JSON gathered per write (smaller in tests, to cross write borders). */
  constructor(private readonly writeBytes = WRITE_BYTES) {
    this.pending = Buffer.alloc(0);
  }

  get size(): number {
    return this.ids.size;
  }

  has(key: string): boolean {
    this.assertOpen();
    return this.ids.has(key);
  }

  get(key: string): T | undefined {
    const ordinal = this.ids.ordinalOf(key);
    return ordinal < 0 ? undefined : this.read(ordinal);
  }

  set(key: string, document: T): this {
    this.assertOpen();
    const json = JSON.stringify(document);
    const length = Buffer.byteLength(json);
    const ordinal = this.ids.intern(key);
    if (ordinal >= this.starts.length) {
      this.starts = grownArray(this.starts, ordinal + 1, 0);
      this.lengths = grownArray(this.lengths, ordinal + 1, 0);
    }
    if (this.pendingUsed + length > this.pending.length) this.flush();
    if (this.pending.length === 0) this.pending = Buffer.alloc(this.writeBytes);
    assertPosition(this.file.size + this.pendingUsed + length);
    this.starts[ordinal] = this.file.size + this.pendingUsed;
    this.lengths[ordinal] = length;
    if (length > this.pending.length) {
      // Longer than a whole buffer (a group's thousands of member ids, with a small buffer): straight to the file.
      this.file.append(Buffer.from(json), length);
      return this;
    }
    this.pendingUsed += this.pending.write(json, this.pendingUsed);
    return this;
  }

  *entries(): IterableIterator<[string, T]> {
    for (let ordinal = 0; ordinal < this.ids.size; ordinal += 1) yield [this.ids.idAt(ordinal), this.read(ordinal)];
  }

  *values(): IterableIterator<T> {
    for (const [, document] of this.entries()) yield document;
  }

  *keys(): IterableIterator<string> {
    for (let ordinal = 0; ordinal < this.ids.size; ordinal += 1) yield this.ids.idAt(ordinal);
  }

  [Symbol.iterator](): IterableIterator<[string, T]> {
    return this.entries();
  }

  /** Closes and so frees the file. Safe to call more than once; nothing can be read after it. */
  discard(): void {
    if (this.discarded) return;
    this.discarded = true;
    this.file.close();
    this.pending = Buffer.alloc(0);
  }

  private read(ordinal: number): T {
    this.assertOpen();
    const start = this.starts[ordinal] ?? 0;
    const length = this.lengths[ordinal] ?? 0;
    const written = this.file.size;
    if (start >= written) return JSON.parse(this.pending.toString('utf8', start - written, start - written + length)) as T;
    this.file.read(start, length);
    return JSON.parse(this.file.window.toString('utf8', 0, length)) as T;
  }

  private flush(): void {
    if (this.pendingUsed === 0) return;
    this.file.append(this.pending, this.pendingUsed);
    this.pendingUsed = 0;
  }

  private assertOpen(): void {
    if (this.discarded) throw new Error('the spilled documents were discarded');
  }
}
