import fc from 'fast-check';
import { z } from 'zod';

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  default?: unknown;
};

const awkwardStrings = fc.constantFrom('', ' ', 'æøå ÆØÅ', '\u0000', '../../etc/passwd', "'; DROP TABLE c; --", '{"$ne":null}', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'a'.repeat(5000), '%00%2F', '<script>alert(1)</script>');
const wildJson = fc.oneof(fc.jsonValue({ maxDepth: 3 }), awkwardStrings, fc.constant(null), fc.double(), fc.integer());

/** Values that satisfy the schema (as far as the generator knows it): the valid end of the range. */
function validArbitrary(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map(validArbitrary));
  if (schema.allOf?.[0]) return validArbitrary(schema.allOf[0]);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const entries = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, validArbitrary(value)]));
      return fc.record(entries, { requiredKeys: Object.keys(properties).filter((key) => required.has(key)) });
    }
    case 'array':
      return fc.array(validArbitrary(schema.items ?? {}), { maxLength: Math.min(schema.maxItems ?? 5, 5) });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? schema.exclusiveMinimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'string': {
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'email') return fc.emailAddress();
      if (schema.format === 'date') return fc.date({ min: new Date('2000-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
      if (schema.format === 'uri') return fc.webUrl();
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 30, 30) });
    }
    default:
      return wildJson;
  }
}

/**
 * Inputs around a zod schema: valid ones, valid ones with one field broken, dropped or
 * added, and arbitrary JSON. Driven by the schema's JSON Schema, the same document the
 * OpenAPI description is made from.
 */
export function inputsAround(schema: z.ZodType | undefined): fc.Arbitrary<unknown> {
  if (!schema) return fc.oneof(fc.constant(undefined), wildJson);
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const valid = validArbitrary(json);
  const keys = Object.keys(json.properties ?? {});
  const broken = keys.length === 0 ? valid : fc.tuple(valid, fc.constantFrom(...keys), wildJson, fc.constantFrom('replace', 'drop', 'extra')).map(
    ([value, key, junk, how]) => {
      if (typeof value !== 'object' || value === null) return value;
      const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      if (how === 'replace') copy[key] = junk;
      else if (how === 'drop') delete copy[key];
      else copy[`unexpected_${key}`] = junk;
      return copy;
    },
  );
  return fc.oneof({ arbitrary: valid, weight: 2 }, { arbitrary: broken, weight: 3 }, { arbitrary: wildJson, weight: 1 });
}
