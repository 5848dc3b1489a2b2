import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withRoom } from './roster-growth.js';

/** Bytes read at once for a record; a longer record is read again whole. */
const WINDOW_BYTES = 512;
/** Positions are kept in `Int32Array`s. */
const MAX_POSITION = 0x7fffffff;

/** Refuses a record that would end past what a position can address (2 GiB of records, written or still buffered). */
export function assertPosition(end: number): void {
  if (end > MAX_POSITION) throw new RangeError('a spilled roster table grew past 2 GiB');
}

/**
 * A temporary file of records (a spilled `RecordTable`'s older rows, the ids of a duplicate
 * check, the directory snapshot's documents, the enrollment spill's chunks): appended a block
 * at a time, read back by position. Its name is removed as soon as it is open, so nothing is
 * left behind by name even if the process dies, and `close` (or the end of the process) frees
 * it. It holds roster and directory data for the length of one plan step, on the machine that
 * runs it.
 */
export class RecordFile {
  private file: number | undefined;
  /** What the last `read` read, from its start. */
  window: Buffer<ArrayBuffer> = Buffer.alloc(WINDOW_BYTES);
  size = 0;

  append(bytes: Buffer, length: number): void {
    assertPosition(this.size + length);
    const written = writeSync(this.handle(), bytes, 0, length, this.size);
    if (written !== length) throw new Error('a write of a spilled roster table was short');
    this.size += length;
  }

  /** Reads the bytes from `position` on into `window`, `length` of them or at least a window's worth (fewer only at the end of the file); returns how many. */
  read(position: number, length = WINDOW_BYTES): number {
    this.window = withRoom(this.window, 0, length);
    const wanted = Math.min(Math.max(length, WINDOW_BYTES), this.size - position);
    const read = readSync(this.handle(), this.window, 0, wanted, position);
    if (read !== wanted) throw new Error('a spilled roster table is shorter than written');
    return read;
  }

  /** Closes and so frees the file. Safe to call more than once. */
  close(): void {
    if (this.file !== undefined) closeSync(this.file);
    this.file = undefined;
    this.size = 0;
  }

  private handle(): number {
    if (this.file === undefined) {
      const directory = mkdtempSync(join(tmpdir(), 'roster-table-'));
      try {
        this.file = openSync(join(directory, 'records'), 'w+');
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    }
    return this.file;
  }
}
