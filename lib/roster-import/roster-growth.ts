/**
 * How the roster's off-heap tables grow: to at least twice their size (so appending stays
 * amortised constant) and at least to what is needed, keeping what is already written.
 */

type NumberArray = Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer>;

/** A copy of the array, at least twice as long and at least `length`, the new part filled with `fill`. */
export function grownArray<T extends NumberArray>(array: T, length: number, fill: number): T {
  const next = new (array.constructor as new (length: number) => T)(Math.max(array.length * 2, length));
  if (fill !== 0) next.fill(fill, array.length);
  next.set(array);
  return next;
}

/** A buffer with room for `length` bytes, holding the first `used` bytes of `bytes` (the same buffer when it has the room). */
export function withRoom(bytes: Buffer<ArrayBuffer>, used: number, length: number): Buffer<ArrayBuffer> {
  if (length <= bytes.length) return bytes;
  const next = Buffer.alloc(Math.max(bytes.length * 2, length));
  bytes.copy(next, 0, 0, used);
  return next;
}
