const EMPTY = -1;

/**
 * The sourcedIds seen in one file, to reject a duplicate: an open-addressing hash set over
 * the ids' UTF-8 bytes in one buffer. A file's ids are most of its rows (600,000 in
 * enrollments.csv at ten times the issue's size); a `Set<string>` keeps each as a string of
 * its own plus a table entry (~50 bytes for a 12-character id), here it is the bytes, a
 * length and a 4-byte slot at most half full (~22 bytes). Exact: a hash match is confirmed
 * byte by byte.
 */
export class SourcedIdSet {
  private bytes = Buffer.alloc(1 << 16);
  private used = 0;
  private slots = new Int32Array(1 << 12).fill(EMPTY);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds the id; false when it was already in the set. */
  add(id: string): boolean {
    this.reserve(2 + Buffer.byteLength(id));
    const start = this.used + 2;
    const length = this.bytes.write(id, start);
    if (length > 0xffff) throw new Error('a sourcedId longer than 65,535 bytes');
    let slot = hashOf(this.bytes, start, length) & (this.slots.length - 1);
    for (let at = this.slots[slot] ?? EMPTY; at !== EMPTY; at = this.slots[slot] ?? EMPTY) {
      if (this.bytes.readUInt16LE(at) === length && this.bytes.compare(this.bytes, start, start + length, at + 2, at + 2 + length) === 0) return false;
      slot = (slot + 1) & (this.slots.length - 1);
    }
    this.bytes.writeUInt16LE(length, this.used);
    this.slots[slot] = this.used;
    this.used = start + length;
    this.count += 1;
    if (this.count * 2 > this.slots.length) this.rehash();
    return true;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.bytes.length) return;
    const next = Buffer.alloc(Math.max(this.bytes.length * 2, this.used + bytes));
    this.bytes.copy(next, 0, 0, this.used);
    this.bytes = next;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    for (let at = 0; at < this.used; ) {
      const length = this.bytes.readUInt16LE(at);
      let slot = hashOf(this.bytes, at + 2, length) & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = at;
      at += 2 + length;
    }
    this.slots = slots;
  }
}

/** FNV-1a over the bytes (32 bits). */
function hashOf(bytes: Buffer, start: number, length: number): number {
  let hash = 0x811c9dc5;
  for (let index = start; index < start + length; index += 1) hash = Math.imul(hash ^ (bytes[index] ?? 0), 0x01000193);
  return hash >>> 0;
}
