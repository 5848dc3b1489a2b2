import { createHash } from 'node:crypto';
import { z } from 'zod';
import { HttpProblem } from '../http/problem.js';

export const MAX_PAGE_SIZE = 100;

export const pagingQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(25),
  continuationToken: z.string().min(1).max(4096).optional(),
};

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.strictObject({ items: z.array(item), continuationToken: z.string().nullable() });

export interface Page<T> {
  items: T[];
  continuationToken: string | null;
}

const envelopeSchema = z.strictObject({ v: z.literal(1), s: z.string(), c: z.string() });

function scopeDigest(scope: string): string {
  return createHash('sha256').update(scope).digest('base64url').slice(0, 16);
}

/**
 * Wraps Cosmos' continuation token so that it is opaque to the caller and bound to the
 * scope (tenant + list) it was issued for. The partition key of every list query comes
 * from the authorised path, never from the token, so a forged token cannot move a query
 * into another tenant's partition; the binding makes such a token fail loudly instead.
 */
export function wrapContinuation(scope: string, cosmosToken: string | undefined): string | null {
  if (!cosmosToken) return null;
  return Buffer.from(JSON.stringify({ v: 1, s: scopeDigest(scope), c: cosmosToken })).toString('base64url');
}

export function unwrapContinuation(scope: string, token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const invalid = new HttpProblem(400, 'invalid-continuation-token', 'Invalid continuation token',
    'The continuation token is not one this list issued', {
      errors: [{ field: 'query/continuationToken', message: 'not a token issued for this list' }],
    });
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  const parsed = envelopeSchema.safeParse(decoded);
  if (!parsed.success || parsed.data.s !== scopeDigest(scope)) throw invalid;
  return parsed.data.c;
}
