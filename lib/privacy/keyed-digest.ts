import { createHmac } from 'node:crypto';

/**
 * A keyed hash: lets the system recognise a value it has seen (a repeated erasure, an
 * anonymised record's origin) without storing the value, and without letting anyone who
 * lacks the key test guesses against it.
 */
export function keyedDigest(key: string, value: string): string {
  return createHmac('sha256', key).update(value).digest('base64url');
}

/** The same keyed hash in hex, for ids that must look like UUIDs. */
export function keyedDigestHex(key: string, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}
