import { grownArray, Int32Pages, release, withRoom } from './roster-growth.js';
import { SourcedIdSet } from './roster-id-set.js';
import { RecordFile } from './roster-record-file.js';
import type { SnapshotGroup } from './roster-snapshot.js';

/** A membership as planned: the student's ordinal and the group's index (int32 each). */
const PAIR_BYTES = 8;
/** A membership once sorted by student: the group's index (the student is where it is). */
const GROUP_BYTES = 4;
/** Memberships written to the file at once, and sorted per pass: 512 KiB of buffer, whatever the number of rows. */
const BLOCK_PAIRS = 65_536;
/** Sorted memberships read at once: students asked for in the order they were numbered come out of one read. */
const READ_BYTES = 1 << 16;

/**
 * Each student's open groups and those groups' teachers, as the student document mirrors
 * them. Per open group its id and its teachers' ordinals are kept in memory (groups are a
 * seventh of the students). Memberships grow with the enrollments (600,000 at ten times the
 * issue's size), so each goes as a (student, group) pair to a temporary file as groups are
 * planned, and before the first student is asked for they are written again in the order
 * of the students (a pass over the pairs per 65,536 of them placed). Memory holds per student
 * one int32 (how many memberships, then where they start) and a block of pairs, not a chain
 * of memberships (8 bytes each, 4.8 MB at ten times the size).
 *
 * Students are numbered in the planner's member ids (shared with the groups' members).
 * The files hold integers only, and are freed by `discard` (or the end of the process).
 */
export class StudentMirror {
  /** By group index: its id, and where its teachers' ordinals start and end in `teachers`. */
  private readonly groupIds = new SourcedIdSet();
  private readonly teachersFrom = new Int32Pages();
  private readonly teachers = new Int32Pages();
  private teacherCount = 0;
  /** By student ordinal: their memberships while groups are added; once sorted, where they start in `sorted`. */
  private index = new Int32Array(1 << 10);
  private memberships = 0;
  private unsorted = new RecordFile();
  private block: Buffer<ArrayBuffer>;
  private buffered = 0;
  private sorted: RecordFile | undefined;
  /** Which sorted memberships the last read holds in `sorted.window`. */
  private windowFrom = 0;
  private windowTo = 0;

  /** `blockPairs`: memberships per write and per sorting pass (smaller in tests, to sort in many passes). */
  constructor(
    private readonly students: SourcedIdSet,
    private readonly blockPairs = BLOCK_PAIRS,
  ) {
    this.block = Buffer.alloc(blockPairs * PAIR_BYTES);
  }

  add(group: Pick<SnapshotGroup, 'id' | 'studentIds' | 'teacherIds' | 'closedAt'>): void {
    if (this.sorted) throw new Error('the student mirror was read: no group can be added');
    if (group.closedAt !== undefined) return;
    const index = this.groupIds.size;
    if (this.groupIds.intern(group.id) !== index) throw new Error('a group was mirrored twice');
    this.teachersFrom.set(index, this.teacherCount);
    for (const teacherId of group.teacherIds) this.teachers.set(this.teacherCount++, this.students.intern(teacherId));
    this.teachersFrom.set(index + 1, this.teacherCount);
    for (const studentId of group.studentIds) {
      const student = this.students.intern(studentId);
      // The shared set numbers teachers too, and had numbered every member before the first group: an ordinal may be far past the array.
      if (student >= this.index.length) this.index = grownArray(this.index, student + 1, 0);
      this.index[student] = (this.index[student] ?? 0) + 1;
      this.block.writeInt32LE(student, this.buffered * PAIR_BYTES);
      this.block.writeInt32LE(index, this.buffered * PAIR_BYTES + 4);
      this.buffered += 1;
      this.memberships += 1;
      if (this.buffered === this.blockPairs) {
        this.unsorted.append(this.block, this.buffered * PAIR_BYTES);
        this.buffered = 0;
      }
    }
  }

  of(studentId: string): { groupIds: string[]; teacherIds: string[] } {
    const sorted = this.sort();
    const groupIds = new Set<string>();
    const teachers = new Set<number>();
    const student = this.students.ordinalOf(studentId);
    // A student numbered past the index has no membership; the last one's end is every membership.
    const listed = student >= 0 && student < this.index.length;
    const from = listed ? (this.index[student] ?? 0) : 0;
    const to = !listed ? 0 : student + 1 < this.index.length ? (this.index[student + 1] ?? 0) : this.memberships;
    if (to > from) this.readSorted(sorted, from, to);
    for (let membership = from; membership < to; membership += 1) {
      const group = sorted.window.readInt32LE((membership - this.windowFrom) * GROUP_BYTES);
      groupIds.add(this.groupIds.idAt(group));
      for (let teacher = this.teachersFrom.get(group); teacher < this.teachersFrom.get(group + 1); teacher += 1) teachers.add(this.teachers.get(teacher));
    }
    return { groupIds: [...groupIds].sort(), teacherIds: [...teachers].map((ordinal) => this.students.idAt(ordinal)).sort() };
  }

  /** Frees the files, the buffers and the groups at once. Safe to call more than once; the mirror is empty after it. */
  discard(): void {
    this.unsorted.close();
    this.sorted?.close();
    this.sorted = new RecordFile();
    for (const array of [this.index, this.block]) release(array);
    this.index = new Int32Array(0);
    this.block = Buffer.alloc(0);
    this.buffered = 0;
    this.memberships = 0;
    this.windowFrom = this.windowTo = 0;
    this.groupIds.clear();
    this.teachersFrom.clear();
    this.teachers.clear();
  }

  /** Writes each student's groups in turn, in the order of the students, once: `index` then says where each student's start. */
  private sort(): RecordFile {
    if (this.sorted) return this.sorted;
    if (this.buffered > 0) this.unsorted.append(this.block, this.buffered * PAIR_BYTES);
    this.buffered = 0;
    // Counts to where each student's pairs end; each pair placed takes the slot before its student's end, so the ends become starts.
    let end = 0;
    for (let student = 0; student < this.index.length; student += 1) this.index[student] = end += this.index[student] ?? 0;
    const sorted = new RecordFile();
    // One pass over the unsorted pairs per range of students whose pairs fit the block (one student's may need a larger one).
    // `base`: pairs placed by the passes before (students before `first`, whose ends have become starts).
    for (let first = 0, base = 0; first < this.index.length; ) {
      let last = first + 1;
      while (last < this.index.length && (this.index[last] ?? 0) - base <= this.blockPairs) last += 1;
      const count = (this.index[last - 1] ?? 0) - base;
      this.block = withRoom(this.block, 0, count * GROUP_BYTES);
      // A read may give more than asked (a file's least read); the next starts where it ended.
      for (let at = 0; at < this.unsorted.size; ) {
        const bytes = this.unsorted.read(at, Math.min(this.blockPairs * PAIR_BYTES, this.unsorted.size - at));
        const pairs = this.unsorted.window;
        for (let offset = 0; offset + PAIR_BYTES <= bytes; offset += PAIR_BYTES) {
          const student = pairs.readInt32LE(offset);
          if (student < first || student >= last) continue;
          const slot = (this.index[student] = (this.index[student] ?? 0) - 1);
          this.block.writeInt32LE(pairs.readInt32LE(offset + 4), (slot - base) * GROUP_BYTES);
        }
        at += bytes;
      }
      if (count > 0) sorted.append(this.block, count * GROUP_BYTES);
      first = last;
      base += count;
    }
    this.unsorted.close();
    for (const buffer of [this.unsorted.window, this.block]) release(buffer);
    this.unsorted = new RecordFile(); // its window is released: never read again
    this.block = Buffer.alloc(0);
    this.sorted = sorted;
    return sorted;
  }

  /** Makes `sorted.window` hold memberships `from` to `to`, reading only when the last read does not. */
  private readSorted(sorted: RecordFile, from: number, to: number): void {
    if (from >= this.windowFrom && to <= this.windowTo) return;
    const bytes = sorted.read(from * GROUP_BYTES, Math.max((to - from) * GROUP_BYTES, Math.min(READ_BYTES, sorted.size - from * GROUP_BYTES)));
    this.windowFrom = from;
    this.windowTo = from + Math.floor(bytes / GROUP_BYTES);
  }
}
