import type { SourcedIdSet } from './roster-id-set.js';

/**
 * The members of one group while the planner builds every group's members from the
 * enrollments: what a `Set` of document ids does, for the part the planner uses, as a list of
 * ordinals in an `Int32Array`; the ids themselves are kept once for all groups in the
 * `SourcedIdSet` the sets share. 600,000 enrollments at ten times the size were ~40
 * bytes of live heap each as `Set` entries; here they are 4 bytes off the heap (plus a small
 * object per group). A group holds at most `maxGroupMembers` of each kind (the planner refuses
 * more), so looking a member up in its list is a short scan. The order of the members is not
 * kept: the planner sorts them.
 */
export class MemberSet implements Iterable<string> {
  private members = new Int32Array(4);
  private count = 0;

  constructor(
    private readonly ids: SourcedIdSet,
    initial: Iterable<string> = [],
  ) {
    for (const id of initial) this.add(id);
  }

  get size(): number {
    return this.count;
  }

  has(id: string): boolean {
    return this.indexOf(this.ids.ordinalOf(id)) !== -1;
  }

  add(id: string): this {
    const ordinal = this.ids.intern(id);
    if (this.indexOf(ordinal) !== -1) return this;
    if (this.count === this.members.length) {
      const members = new Int32Array(this.members.length * 2);
      members.set(this.members);
      this.members = members;
    }
    this.members[this.count++] = ordinal;
    return this;
  }

  delete(id: string): boolean {
    const at = this.indexOf(this.ids.ordinalOf(id));
    if (at === -1) return false;
    this.removeAt(at);
    return true;
  }

  /** Deletes every member in `ids` (a pass over the members, not a lookup per id). */
  deleteAll(ids: ReadonlySet<string>): void {
    for (let at = this.count - 1; at >= 0; at -= 1) if (ids.has(this.ids.idAt(this.members[at] ?? 0))) this.removeAt(at);
  }

  *[Symbol.iterator](): IterableIterator<string> {
    for (let at = 0; at < this.count; at += 1) yield this.ids.idAt(this.members[at] ?? 0);
  }

  private indexOf(ordinal: number): number {
    if (ordinal < 0) return -1;
    for (let at = 0; at < this.count; at += 1) if (this.members[at] === ordinal) return at;
    return -1;
  }

  /** The last member takes the removed one's place. */
  private removeAt(at: number): void {
    this.count -= 1;
    this.members[at] = this.members[this.count] ?? 0;
  }
}
