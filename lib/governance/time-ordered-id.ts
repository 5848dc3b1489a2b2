import { randomBytes } from 'node:crypto';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * A random UUID of version 7 (RFC 9562): 48 bits of creation time, 74 random bits. The
 * time lets a point read find a document partitioned by period (complaints by year,
 * support requests by month) from the id alone, with no lookup document.
 */
export function timeOrderedId(at: Date): string {
  const bytes = randomBytes(16);
  let ms = at.getTime();
  for (let index = 5; index >= 0; index -= 1) {
    bytes[index] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The creation time of an id made by `timeOrderedId`; undefined for any other string. */
export function timeOfId(id: string): Date | undefined {
  if (!UUID_V7.test(id)) return undefined;
  return new Date(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
}
