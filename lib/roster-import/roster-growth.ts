/**
 * How the roster's off-heap tables grow: to at least twice their size (so appending stays
 * amortised constant) and at least to what is needed, keeping what is already written. The
 * outgrown memory is freed at once (`release`): left to the garbage collector, the copies a
 * table outgrew at ten times the size were tens of MiB of peak RSS.
 */

type NumberArray = Uint8Array<ArrayBuffer> | Int32Array<ArrayBuffer>;

/** A copy of the array, at least twice as long and at least `length`, the new part filled with `fill`; the old array is released. */
export function grownArray<T extends NumberArray>(array: T, length: number, fill: number): T {
  const next = new (array.constructor as new (length: number) => T)(Math.max(array.length * 2, length));
  if (fill !== 0) next.fill(fill, array.length);
  next.set(array);
  release(array);
  return next;
}

/** A buffer with room for `length` bytes, holding the first `used` bytes of `bytes` (the same buffer when it has the room; else the old one is released). */
export function withRoom(bytes: Buffer<ArrayBuffer>, used: number, length: number): Buffer<ArrayBuffer> {
  if (length <= bytes.length) return bytes;
  const next = Buffer.alloc(Math.max(bytes.length * 2, length));
  bytes.copy(next, 0, 0, used);
  release(bytes);
  return next;
}

/**
 * Frees the memory of an array or buffer that owns its whole ArrayBuffer (a table's own, made
 * by `Buffer.alloc` or a typed array constructor), by detaching it: any view of it reads as
 * empty from then on, so only a table's private arrays, which nothing else holds, are released.
 * A view into a shared buffer (Node's pool) is left to the garbage collector.
 */
export function release(array: NumberArray | Buffer<ArrayBuffer>): void {
  const { buffer } = array;
  if (array.byteOffset !== 0 || array.byteLength !== buffer.byteLength) return;
  (buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer }).transfer?.(0);
}

/**
 * Int32 values by index in pages (of 64 Ki values, 256 KiB, unless told), for a table that
 * grows by appending: it grows a page at a time, so it never holds more than one page it does
 * not use and never copies (a doubled array is up to half unused, and old and new are both
 * held while copying). An index never set reads 0.
 */
export class Int32Pages {
  private readonly pages: Int32Array<ArrayBuffer>[] = [];
  private readonly mask: number;

  /** `pageBits`: a page holds 2^pageBits values (fewer for a table that is often small). */
  constructor(private readonly pageBits = 16) {
    this.mask = (1 << pageBits) - 1;
  }

  get(index: number): number {
    return this.pages[index >>> this.pageBits]?.[index & this.mask] ?? 0;
  }

  set(index: number, value: number): void {
    const page = index >>> this.pageBits;
    while (this.pages.length <= page) this.pages.push(new Int32Array(this.mask + 1));
    (this.pages[page] as Int32Array<ArrayBuffer>)[index & this.mask] = value;
  }

  /** Frees every page at once; every index reads 0 again. */
  clear(): void {
    for (const page of this.pages.splice(0)) release(page);
  }
}
