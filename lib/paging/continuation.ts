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

/** A token this list did not issue, or no longer accepts: names the field only, never the token. */
export function invalidContinuationToken(detail = 'The continuation token is not one this list issued'): HttpProblem {
  return new HttpProblem(400, 'invalid-continuation-token', 'Invalid continuation token', detail, {
    errors: [{ field: 'query/continuationToken', message: 'not a token issued for this list' }],
  });
}
