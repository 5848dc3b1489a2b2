import type { z } from 'zod';
import { problems, type FieldError } from './problem.js';

export type InputPart = 'params' | 'query' | 'body' | 'headers';

/** Field errors name the field and the rule, never the rejected value (it may be personal data). */
export function fieldErrors(part: InputPart, error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => {
    const path = [part, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      return { field: path.join('/'), message: `unknown field(s): ${issue.keys.join(', ')}` };
    }
    return { field: path.join('/'), message: issue.message };
  });
}

export function parseOrThrow<T extends z.ZodType>(part: InputPart, schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw problems.validation(fieldErrors(part, result.error));
  return result.data;
}
