import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { invalidContinuationToken } from './continuation.js';

/**
 * What a token was issued for, e.g. container, partition, query text and parameters. It is
 * MACed as JSON, so every part is unambiguous (no separator a value could contain).
 */
export type ContinuationBinding = readonly unknown[];

const MAC_BYTES = 32;
/** The HKDF label: the sealing key is derived from the app secret and never equals it or another key derived from it. */
const KEY_LABEL = 'engage/continuation-token/v2';
const envelopeSchema = z.strictObject({ v: z.literal(2), c: z.string(), m: z.string() });

/**
 * Seals the continuation tokens the API hands out: the caller gets the inner token (Cosmos
 * DB's, or a list's own cursor) with an HMAC-SHA256 over it and over what it was issued for.
 * Cosmos trusts a continuation token it is given; the seal is what stops a caller from
 * forging one or moving one to another list, partition or filter.
 */
export class ContinuationSealer {
  private constructor(private readonly key: Buffer) {}

  /** Built once by the composition root from the app's secret (`PRIVACY_DIGEST_KEY`). */
  static fromSecret(secret: string): ContinuationSealer {
    return new ContinuationSealer(Buffer.from(hkdfSync('sha256', secret, '', KEY_LABEL, MAC_BYTES)));
  }

  seal(binding: ContinuationBinding, inner: string): string {
    const envelope = { v: 2, c: inner, m: this.mac(binding, inner).toString('base64url') };
    return Buffer.from(JSON.stringify(envelope)).toString('base64url');
  }

  /** The inner token, or a 400 `invalid-continuation-token` when the seal does not verify for this binding. */
  open(binding: ContinuationBinding, token: string | undefined): string | undefined {
    if (token === undefined) return undefined;
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
      throw invalidContinuationToken();
    }
    const parsed = envelopeSchema.safeParse(decoded);
    if (!parsed.success) throw invalidContinuationToken();
    const given = Buffer.from(parsed.data.m, 'base64url');
    const expected = this.mac(binding, parsed.data.c);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidContinuationToken();
    return parsed.data.c;
  }

  private mac(binding: ContinuationBinding, inner: string): Buffer {
    return createHmac('sha256', this.key).update(JSON.stringify([binding, inner])).digest();
  }
}
