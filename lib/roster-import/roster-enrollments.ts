import { grownArray } from './roster-growth.js';
import { SourcedIdSet } from './roster-id-set.js';
import { RecordFile } from './roster-record-file.js';

/** One checked enrollment, as the planner reads it back. */
export interface EnrollmentRow {
  line: number;
  classSourcedId: string;
  userSourcedId: string;
  role: 'student' | 'teacher';
  /** Ended (endDate passed) or deleted (tobedeleted): counted as leaving the class. */
  ended: boolean;
  /** Begins after today: not a membership yet, but the student is not leaving (next school year's class, over the summer). */
  future: boolean;
  endDate: string | undefined;
}

const TEACHER = 1;
const ENDED = 2;
const FUTURE = 4;
const NONE = -1;
/** class, user, line, end date (int32 each), flags (uint8). */
const ROW_BYTES = 17;
/** Rows per write and per read of the spill file: 1.1 MB of buffer, whatever the number of rows. */
const CHUNK_ROWS = 65_536;

/**
 * The enrollments of a roster, spilled to a temporary file as they are read: enrollments are
 * most of a roster's rows (60,000 of 93,000 at the size, 600,000 at ten times it),
 * and the planner needs them only as two passes in file order. Memory holds one chunk of
 * rows and each distinct class and user sourcedId and end date once (those grow with the
 * users and classes, which the roster holds anyway); a row is 17 bytes on disk.
 *
 * The file holds integers only (indexes of the interned ids, line numbers, flags): no
 * sourcedId, name or date of the roster. It is a local temporary file, not a blob, because
 * the plan step is one activity that starts over when it fails: nothing of it outlives the
 * process. It is a `RecordFile`: its name is removed as soon as it is open (the data lives
 * until it is closed, or the process ends), so no file is left behind even by a crash.
 */
export class EnrollmentTable {
  /** Each distinct class id and end date once, as bytes off the V8 heap; the file holds their ordinals (and those of the users). */
  private readonly interned = new SourcedIdSet();
  /** By class ordinal (in `interned`): the rows that enrol a teacher, and a student, in the class. */
  private teacherRows = new Int32Array(1 << 8);
  private studentRows = new Int32Array(1 << 8);
  private readonly chunk: Buffer;
  private buffered = 0;
  private count = 0;
  private readonly file = new RecordFile();
  /** Rows in the file: whole chunks. */
  private written = 0;
  private discarded = false;

  /**
   * `users`: the roster's user ids, which number the rows' users (each is kept once for the
   * roster); `chunkRows`: rows per write and read of the file (smaller in tests, to cross chunk borders).
   */
  constructor(
    private readonly users = new SourcedIdSet(),
    private readonly chunkRows = CHUNK_ROWS,
  ) {
    this.chunk = Buffer.alloc(chunkRows * ROW_BYTES);
  }

  get length(): number {
    return this.count;
  }

  push(row: EnrollmentRow): void {
    const at = this.buffered * ROW_BYTES;
    const classOrdinal = this.interned.intern(row.classSourcedId);
    this.countRow(classOrdinal, row.role);
    this.chunk.writeInt32LE(classOrdinal, at);
    this.chunk.writeInt32LE(this.users.intern(row.userSourcedId), at + 4);
    this.chunk.writeInt32LE(row.line, at + 8);
    this.chunk.writeInt32LE(row.endDate === undefined ? NONE : this.interned.intern(row.endDate), at + 12);
    this.chunk.writeUInt8((row.role === 'teacher' ? TEACHER : 0) | (row.ended ? ENDED : 0) | (row.future ? FUTURE : 0), at + 16);
    this.buffered += 1;
    this.count += 1;
    if (this.buffered === this.chunkRows) {
      this.file.append(this.chunk, this.chunk.length);
      this.written += this.chunkRows;
      this.buffered = 0;
    }
  }

  /**
   * The rows in the order they were pushed, read back from the file a chunk at a time (any
   * number of passes, one at a time: a chunk is read into the file's one window).
   */
  async *rows(): AsyncGenerator<EnrollmentRow> {
    if (this.discarded) throw new Error('the enrollments were discarded');
    for (let first = 0; first < this.written; first += this.chunkRows) {
      this.file.read(first * ROW_BYTES, this.chunkRows * ROW_BYTES);
      const chunk = this.file.window;
      for (let row = 0; row < this.chunkRows; row += 1) yield this.decode(chunk, row);
    }
    // The rows of the last chunk, not full, are still in memory.
    for (let row = 0; row < this.buffered; row += 1) yield this.decode(this.chunk, row);
  }

  /** How many rows enrol a member of this role in the class: what its group can take from the file (an upper bound: ended rows count too). */
  rowsIn(classSourcedId: string, role: EnrollmentRow['role']): number {
    const ordinal = this.interned.ordinalOf(classSourcedId);
    if (ordinal < 0) return 0;
    return (role === 'teacher' ? this.teacherRows : this.studentRows)[ordinal] ?? 0;
  }

  /** Closes and so frees the spill file (its name was removed when it was opened). Safe to call more than once. */
  discard(): void {
    this.discarded = true;
    this.file.close();
  }

  private countRow(classOrdinal: number, role: EnrollmentRow['role']): void {
    if (classOrdinal >= this.teacherRows.length) {
      this.teacherRows = grownArray(this.teacherRows, classOrdinal + 1, 0);
      this.studentRows = grownArray(this.studentRows, classOrdinal + 1, 0);
    }
    const rows = role === 'teacher' ? this.teacherRows : this.studentRows;
    rows[classOrdinal] = (rows[classOrdinal] ?? 0) + 1;
  }

  private decode(chunk: Buffer, row: number): EnrollmentRow {
    const at = row * ROW_BYTES;
    const flags = chunk.readUInt8(at + 16);
    return {
      line: chunk.readInt32LE(at + 8),
      classSourcedId: this.interned.idAt(chunk.readInt32LE(at)),
      userSourcedId: this.users.idAt(chunk.readInt32LE(at + 4)),
      role: flags & TEACHER ? 'teacher' : 'student',
      ended: (flags & ENDED) !== 0,
      future: (flags & FUTURE) !== 0,
      endDate: this.endDate(chunk.readInt32LE(at + 12)),
    };
  }

  private endDate(index: number): string | undefined {
    return index === NONE ? undefined : this.interned.idAt(index);
  }
}
