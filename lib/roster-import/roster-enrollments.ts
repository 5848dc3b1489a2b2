/** One checked enrollment, as the planner reads it back. */
export interface EnrollmentRow {
  line: number;
  classSourcedId: string;
  userSourcedId: string;
  role: 'student' | 'teacher';
  /** Ended (endDate passed) or deleted (tobedeleted): counted as leaving the class. */
  ended: boolean;
  endDate: string | undefined;
}

const TEACHER = 1;
const ENDED = 2;
const NONE = -1;

/**
 * The enrollments of a roster in columns of 32-bit integers (class, user, line, flags, end
 * date), with each class and user sourcedId and each end date stored once: enrollments are
 * most of a roster's rows (60,000 of 93,000 at the size), and kept as objects each
 * holds two strings of its own; here a row is 17 bytes, plus each distinct id once.
 * Rows are read back one at a time as plain objects.
 */
export class EnrollmentTable implements Iterable<EnrollmentRow> {
  private readonly interned = new Map<string, number>();
  private readonly values: string[] = [];
  private columns = newColumns(1024);
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(row: EnrollmentRow): void {
    if (this.count === this.columns.line.length) this.grow();
    const at = this.count;
    this.columns.classId[at] = this.intern(row.classSourcedId);
    this.columns.userId[at] = this.intern(row.userSourcedId);
    this.columns.line[at] = row.line;
    this.columns.flags[at] = (row.role === 'teacher' ? TEACHER : 0) | (row.ended ? ENDED : 0);
    this.columns.endDate[at] = row.endDate === undefined ? NONE : this.intern(row.endDate);
    this.count += 1;
  }

  *[Symbol.iterator](): Iterator<EnrollmentRow> {
    for (let at = 0; at < this.count; at += 1) {
      const flags = this.columns.flags[at] ?? 0;
      const endDate = this.columns.endDate[at] ?? NONE;
      yield {
        line: this.columns.line[at] ?? 0,
        classSourcedId: this.value(this.columns.classId[at] ?? NONE) ?? '',
        userSourcedId: this.value(this.columns.userId[at] ?? NONE) ?? '',
        role: flags & TEACHER ? 'teacher' : 'student',
        ended: (flags & ENDED) !== 0,
        endDate: this.value(endDate),
      };
    }
  }

  private intern(value: string): number {
    let index = this.interned.get(value);
    if (index === undefined) {
      index = this.values.length;
      this.values.push(value);
      this.interned.set(value, index);
    }
    return index;
  }

  private value(index: number): string | undefined {
    return index === NONE ? undefined : this.values[index];
  }

  private grow(): void {
    const next = newColumns(this.columns.line.length * 2);
    next.classId.set(this.columns.classId);
    next.userId.set(this.columns.userId);
    next.line.set(this.columns.line);
    next.flags.set(this.columns.flags);
    next.endDate.set(this.columns.endDate);
    this.columns = next;
  }
}

function newColumns(size: number) {
  return { classId: new Int32Array(size), userId: new Int32Array(size), line: new Int32Array(size), flags: new Uint8Array(size), endDate: new Int32Array(size) };
}
