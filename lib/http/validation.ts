import type { z } from 'zod';
import { problems, type FieldError } from './problem.js';

export type InputPart = 'params' | 'query' | 'body' | 'headers';

/** Stands in for a path segment the caller chose (a record's key): it may be personal data. */
const CALLER_KEY = '*';

/**
 * Field errors name the field and the rule, never what the caller sent: not the rejected
 * value, not the names of unknown fields (only how many, and where), not a record's keys.
 * Zod's own messages name what was expected (a type, a limit, the allowed options), never
 * the value received; `unrecognized_keys` is the one that lists input, so it is replaced.
 */
export function fieldErrors(part: InputPart, schema: z.ZodType, error: z.ZodError): FieldError[] {
  const declared = declaredKeys(schema);
  return error.issues.map((issue) => {
    const path = issue.path.map((segment) => (typeof segment === 'number' || (typeof segment === 'string' && declared.has(segment)) ? String(segment) : CALLER_KEY));
    const field = [part, ...path].join('/');
    if (issue.code === 'unrecognized_keys') return { field, message: `${issue.keys.length} unknown field(s)` };
    return { field, message: issue.message };
  });
}

export function parseOrThrow<T extends z.ZodType>(part: InputPart, schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw problems.validation(fieldErrors(part, schema, result.error));
  return result.data;
}

const declaredKeysOf = new WeakMap<z.ZodType, ReadonlySet<string>>();

/** Every property name an object anywhere in the schema declares: the path segments that are ours, not the caller's. */
function declaredKeys(schema: z.ZodType): ReadonlySet<string> {
  let keys = declaredKeysOf.get(schema);
  if (!keys) {
    keys = collectKeys(schema, new Set(), new Set());
    declaredKeysOf.set(schema, keys);
  }
  return keys;
}

interface SchemaNode {
  _zod: { def: Record<string, unknown> };
}

const isSchema = (value: unknown): value is SchemaNode =>
  typeof value === 'object' && value !== null && '_zod' in value && typeof (value as SchemaNode)._zod?.def?.type === 'string';

function collectKeys(node: unknown, keys: Set<string>, seen: Set<unknown>): Set<string> {
  if (!isSchema(node) || seen.has(node)) return keys;
  seen.add(node);
  // Zod v4 keeps a schema's children in its definition: shape, innerType, element, options, in/out, valueType...
  for (const [name, child] of Object.entries(node._zod.def)) {
    if (name === 'checks') continue;
    if (name === 'shape') {
      for (const [key, property] of Object.entries(child as Record<string, unknown>)) {
        keys.add(key);
        collectKeys(property, keys, seen);
      }
    } else if (name === 'getter' && typeof child === 'function') {
      collectKeys((child as () => unknown)(), keys, seen);
    } else if (Array.isArray(child)) {
      for (const item of child) collectKeys(item, keys, seen);
    } else {
      collectKeys(child, keys, seen);
    }
  }
  return keys;
}
