import { grownArray, Int32Pages } from './roster-growth.js';
import type { SourcedIdSet } from './roster-id-set.js';

/**
 * Where every group's members are while the planner builds them: one list of ordinals in
 * pages, from which each `MemberSet` takes a region sized to what the group can hold in this
 * run (its stored members and the file's enrollments in its class), so 30,000 member sets at
 * ten times the size are one growing list of ~1 slot a member, not 30,000 arrays,
 * each with its own buffer and objects. A set that outgrows its region after all (a held
 * member put back into a group the file does not mention) takes a region twice the size at
 * the end, and the old one is left unused.
 */
export class MemberPool {
  private readonly slots = new Int32Pages();
  private used = 0;

  /** A region of `capacity` unused slots; returns where it starts. */
  allocate(capacity: number): number {
    this.used += capacity;
    return this.used - capacity;
  }

  /** Slots handed out so far (regions outgrown included). */
  get allocated(): number {
    return this.used;
  }

  get(slot: number): number {
    return this.slots.get(slot);
  }

  set(slot: number, ordinal: number): void {
    this.slots.set(slot, ordinal);
  }

  /** Frees the pool at once; the sets that used it must not be used again. */
  clear(): void {
    this.slots.clear();
    this.used = 0;
  }
}

/**
 * The members of one group while the planner builds every group's members from the
 * enrollments: what a `Set` of document ids does, for the part the planner uses, as a list of
 * ordinals in a region of the `MemberPool`; the ids themselves are kept once for all groups in
 * the `SourcedIdSet` the sets share. 600,000 enrollments at ten times the size were
 * ~40 bytes of live heap each as `Set` entries; here they are ~4 bytes off the heap (a slot
 * of the pool, plus a small object per group). A group holds at most `maxGroupMembers` of each kind (the planner
 * refuses more), so looking a member up in its list is a short scan. The order of the members
 * is not kept: the planner sorts them.
 */
export class MemberSet implements Iterable<string> {
  private start: number;
  private capacity: number;
  private count = 0;

  /** `room`: how many members past `initial` the set is expected to take (its region holds both; it grows past them only if it must). */
  constructor(
    private readonly ids: SourcedIdSet,
    private readonly pool: MemberPool,
    initial: readonly string[] = [],
    room = 0,
  ) {
    this.capacity = initial.length + room;
    this.start = pool.allocate(this.capacity);
    for (const id of initial) this.add(id);
  }

  get size(): number {
    return this.count;
  }

  has(id: string): boolean {
    return this.indexOf(this.ids.ordinalOf(id)) !== -1;
  }

  add(id: string): this {
    return this.addOrdinal(this.ids.intern(id));
  }

  /** Adds the member of this ordinal in the shared set (no id is read or hashed). */
  addOrdinal(ordinal: number): this {
    if (this.indexOf(ordinal) !== -1) return this;
    if (this.count === this.capacity) this.grow();
    this.pool.set(this.start + this.count, ordinal);
    this.count += 1;
    return this;
  }

  delete(id: string): boolean {
    return this.deleteOrdinal(this.ids.ordinalOf(id));
  }

  deleteOrdinal(ordinal: number): boolean {
    const at = this.indexOf(ordinal);
    if (at === -1) return false;
    this.removeAt(at);
    return true;
  }

  /** Deletes every member in `ids` (a pass over the members, not a lookup per id). */
  deleteAll(ids: ReadonlySet<string>): void {
    for (let at = this.count - 1; at >= 0; at -= 1) if (ids.has(this.ids.idAt(this.pool.get(this.start + at)))) this.removeAt(at);
  }

  *[Symbol.iterator](): IterableIterator<string> {
    for (let at = 0; at < this.count; at += 1) yield this.ids.idAt(this.pool.get(this.start + at));
  }

  private indexOf(ordinal: number): number {
    if (ordinal < 0) return -1;
    for (let at = 0; at < this.count; at += 1) if (this.pool.get(this.start + at) === ordinal) return at;
    return -1;
  }

  /** The last member takes the removed one's place. */
  private removeAt(at: number): void {
    this.count -= 1;
    this.pool.set(this.start + at, this.pool.get(this.start + this.count));
  }

  /** Moves the members to a region twice the size (at least 4) at the end of the pool. */
  private grow(): void {
    const capacity = Math.max(4, this.capacity * 2);
    const start = this.pool.allocate(capacity);
    for (let at = 0; at < this.count; at += 1) this.pool.set(start + at, this.pool.get(this.start + at));
    this.start = start;
    this.capacity = capacity;
  }
}

/** A student's document id and whether they stay active after the run. */
export interface StudentTarget {
  id: string;
  active: boolean;
}

/**
 * The students of a run by sourcedId (the file's and the directory's): their document id and
 * whether they stay active. Per student it is an ordinal and a flag in arrays indexed by the
 * roster's user ordinal: the sourcedId is kept once in the roster's user ids, the document id
 * once in the planner's member ids, which every group's members index anyway. So the planner
 * adds a student to a group by ordinal, without reading or hashing an id per enrollment.
 */
export class StudentTargets {
  /** By user ordinal: the member-id ordinal of the student's document id, -1 for none. */
  private members = new Int32Array(1 << 10).fill(-1);
  private active = new Uint8Array(1 << 10);

  constructor(
    private readonly users: SourcedIdSet,
    private readonly memberIds: SourcedIdSet,
  ) {}

  set(sourcedId: string, target: StudentTarget): void {
    const user = this.users.intern(sourcedId);
    if (user >= this.members.length) {
      this.members = grownArray(this.members, user + 1, -1);
      this.active = grownArray(this.active, user + 1, 0);
    }
    this.members[user] = this.memberIds.intern(target.id);
    this.active[user] = target.active ? 1 : 0;
  }

  has(sourcedId: string): boolean {
    return this.memberOrdinal(sourcedId) !== -1;
  }

  get(sourcedId: string): StudentTarget | undefined {
    const user = this.users.ordinalOf(sourcedId);
    const member = this.members[user] ?? -1;
    return member === -1 ? undefined : { id: this.memberIds.idAt(member), active: this.active[user] === 1 };
  }

  /** The student's ordinal in the member ids (what a `MemberSet` holds) and whether they stay active; undefined for no student. */
  member(sourcedId: string): { ordinal: number; active: boolean } | undefined {
    const user = this.users.ordinalOf(sourcedId);
    const ordinal = this.members[user] ?? -1;
    return ordinal === -1 ? undefined : { ordinal, active: this.active[user] === 1 };
  }

  *values(): IterableIterator<StudentTarget> {
    for (let user = 0; user < this.members.length; user += 1) {
      const member = this.members[user] ?? -1;
      if (member !== -1) yield { id: this.memberIds.idAt(member), active: this.active[user] === 1 };
    }
  }

  private memberOrdinal(sourcedId: string): number {
    return this.members[this.users.ordinalOf(sourcedId)] ?? -1;
  }
}
