import { z } from 'zod';
import { ENUM_VALUES, PROPERTY_TERMS } from './api-vocabulary.js';

export type JsonSchema = Record<string, unknown>;

/** What zod writes for `.int()` without bounds: not a rule of ours, only noise in the document. */
const SAFE_INTEGER_BOUND = Number.MAX_SAFE_INTEGER;

/**
 * JSON Schema of a zod schema, as the document shows it: descriptions and examples from the
 * schema's `.meta()` where it has them, else from the vocabulary by property name (one text for
 * every use of a term), enum values explained, and no implied integer bounds.
 */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return annotate(json, undefined);
}

function annotate(schema: JsonSchema, name: string | undefined): JsonSchema {
  const annotated: JsonSchema = { ...schema };
  if (annotated.minimum === -SAFE_INTEGER_BOUND) delete annotated.minimum;
  if (annotated.maximum === SAFE_INTEGER_BOUND) delete annotated.maximum;
  if (annotated.type === 'integer' && annotated.format === undefined) annotated.format = fitsInt32(annotated) ? 'int32' : 'int64';
  if (annotated.type === 'string' && annotated.maxLength === undefined && annotated.enum === undefined) {
    const implied = impliedMaxLength(annotated);
    if (implied !== undefined) annotated.maxLength = implied;
  }
  const term = name === undefined ? undefined : PROPERTY_TERMS[name];
  if (term && annotated.description === undefined) annotated.description = term.description;
  const candidates = term?.example === undefined ? [] : [term.example, ...(term.alternatives ?? [])];
  const example = candidates.find((candidate) => fits(annotated, candidate));
  if (example !== undefined && annotated.examples === undefined && annotated.const === undefined) annotated.examples = [example];
  if (Array.isArray(annotated.enum)) {
    const explained = (annotated.enum as unknown[]).flatMap((value) => {
      const text = typeof value === 'string' ? ENUM_VALUES[value] : undefined;
      return text ? [`\`${value}\`: ${text}`] : [];
    });
    if (explained.length > 0) annotated.description = [annotated.description, ...explained.map((line) => `- ${line}`)].filter(Boolean).join('\n');
  }
  if (isSchema(annotated.properties)) {
    annotated.properties = Object.fromEntries(
      Object.entries(annotated.properties as Record<string, JsonSchema>).map(([key, value]) => [key, annotate(value, key)]),
    );
  }
  if (isSchema(annotated.items)) annotated.items = annotate(annotated.items as JsonSchema, undefined);
  if (isSchema(annotated.additionalProperties)) annotated.additionalProperties = annotate(annotated.additionalProperties as JsonSchema, undefined);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    // A nullable or optional property: the branches describe the same thing the property does.
    if (Array.isArray(annotated[key])) annotated[key] = (annotated[key] as JsonSchema[]).map((branch) => annotate(branch, branch.type === 'null' ? undefined : name));
  }
  return annotated;
}

const INT32 = 2 ** 31;

function fitsInt32(schema: JsonSchema): boolean {
  return typeof schema.minimum === 'number' && typeof schema.maximum === 'number' && schema.minimum >= -INT32 && schema.maximum < INT32;
}

const FORMAT_LENGTHS: Record<string, number> = { uuid: 36, date: 10 };

/** The longest string a schema's format or anchored pattern lets through: a bound the validation already enforces. */
function impliedMaxLength(schema: JsonSchema): number | undefined {
  if (typeof schema.format === 'string' && FORMAT_LENGTHS[schema.format] !== undefined) return FORMAT_LENGTHS[schema.format];
  if (typeof schema.pattern !== 'string') return undefined;
  const pattern = schema.pattern;
  if (!pattern.startsWith('^') || !pattern.endsWith('$') || pattern.endsWith('\\$')) return undefined;
  const length = new PatternLength(pattern.slice(1, -1)).alternatives();
  return Number.isFinite(length) ? length : undefined;
}

/** The longest match of a simple regular expression, Infinity where a quantifier is unbounded. */
class PatternLength {
  private at = 0;

  constructor(private readonly source: string) {}

  alternatives(): number {
    let longest = this.sequence();
    while (this.source[this.at] === '|') {
      this.at += 1;
      longest = Math.max(longest, this.sequence());
    }
    return longest;
  }

  private sequence(): number {
    let total = 0;
    while (this.at < this.source.length && this.source[this.at] !== '|' && this.source[this.at] !== ')') {
      total += this.atom() * this.quantifier();
    }
    return total;
  }

  private atom(): number {
    const char = this.source[this.at];
    if (char === '(') {
      this.at += this.source.startsWith('(?:', this.at) ? 3 : 1;
      const inner = this.alternatives();
      this.at += 1;
      return inner;
    }
    if (char === '[') {
      this.at += 1;
      while (this.at < this.source.length && this.source[this.at] !== ']') this.at += this.source[this.at] === '\\' ? 2 : 1;
      this.at += 1;
      return 1;
    }
    if (char === '^' || char === '$') {
      this.at += 1;
      return 0;
    }
    if (char === '\\') {
      const escaped = this.source[this.at + 1];
      this.at += 2;
      if ((escaped === 'p' || escaped === 'P') && this.source[this.at] === '{') this.at = this.source.indexOf('}', this.at) + 1;
      return 1;
    }
    this.at += 1;
    return 1;
  }

  private quantifier(): number {
    const char = this.source[this.at];
    let times = 1;
    if (char === '*' || char === '+') {
      this.at += 1;
      times = Infinity;
    } else if (char === '?') {
      this.at += 1;
    } else if (char === '{') {
      const end = this.source.indexOf('}', this.at);
      const [low, high] = this.source.slice(this.at + 1, end).split(',');
      times = high === undefined ? Number(low) : high === '' ? Infinity : Number(high);
      this.at = end + 1;
    }
    if (this.source[this.at] === '?') this.at += 1;
    return times;
  }
}

/** Whether a term's example suits this use of the term (its type, pattern, bounds, values); if not, the use needs its own. */
function fits(schema: JsonSchema, value: unknown): boolean {
  const branches = [schema.anyOf, schema.oneOf].find(Array.isArray) as JsonSchema[] | undefined;
  if (branches) return branches.some((branch) => fits(branch, value));
  if (Array.isArray(schema.enum) && !(schema.enum as unknown[]).includes(value)) return false;
  const types = schema.type === undefined ? [] : ([] as unknown[]).concat(schema.type);
  const typeOf = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (types.length > 0 && !types.some((type) => type === typeOf || (type === 'number' && typeOf === 'integer'))) return false;
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) return false;
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) return false;
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) return false;
    if (typeof schema.maximum === 'number' && value > schema.maximum) return false;
  }
  if (Array.isArray(value) && isSchema(schema.items)) return value.every((item) => fits(schema.items as JsonSchema, item));
  return true;
}

function isSchema(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const FORMAT_EXAMPLES: Record<string, unknown> = {
  'date': '2026-09-14',
  'date-time': '2026-09-14T08:30:00.000Z',
  'uuid': '3f6c1b9e-8a2d-4c57-9e1f-2b7d5a4c8e10',
  'email': 'kari.nordmann@example.no',
  'uri': 'https://engage.example.no/',
  'uri-reference': '/api/health',
};

/**
 * An example value built from a schema's own examples, enum, default or format, so every body
 * and response in the document shows plausible data. Undefined where nothing says what a
 * realistic value is (tests/http/openapi-contract.test.ts fails on that).
 */
export function exampleOf(schema: JsonSchema, definitions: Record<string, JsonSchema> = {}): unknown {
  if (typeof schema.$ref === 'string') {
    const target = definitions[schema.$ref.replace(/^#\/(\$defs|components\/schemas)\//, '')];
    return target ? exampleOf(target, definitions) : undefined;
  }
  const defs = { ...definitions, ...((schema.$defs ?? {}) as Record<string, JsonSchema>) };
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.const !== undefined) return schema.const;
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(schema[key])) {
      const branches = (schema[key] as JsonSchema[]).filter((branch) => branch.type !== 'null');
      if (key === 'allOf') return Object.assign({}, ...branches.map((branch) => exampleOf(branch, defs)));
      const [first] = branches;
      return first ? exampleOf(first, defs) : null;
    }
  }
  if (typeof schema.format === 'string' && FORMAT_EXAMPLES[schema.format] !== undefined) return FORMAT_EXAMPLES[schema.format];
  const type = Array.isArray(schema.type) ? (schema.type as string[]).find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      // A realistic object has its required fields; optional ones often belong to another state (a leaver's leftAt).
      const required = new Set((schema.required ?? []) as string[]);
      const properties = Object.fromEntries(
        Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>).filter(([key]) => required.size === 0 || required.has(key)),
      );
      const entries = Object.entries(properties).map(([key, value]) => [key, exampleOf(value, defs)] as const);
      if (entries.length === 0 && isSchema(schema.additionalProperties)) {
        const value = exampleOf(schema.additionalProperties as JsonSchema, defs);
        return value === undefined ? undefined : { key: value };
      }
      if (entries.some(([, value]) => value === undefined)) return undefined;
      return Object.fromEntries(entries);
    }
    case 'array': {
      const item = isSchema(schema.items) ? exampleOf(schema.items as JsonSchema, defs) : undefined;
      return item === undefined ? undefined : [item];
    }
    case 'boolean':
      return false;
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'null':
      return null;
    default:
      return undefined;
  }
}

/** Paths in a schema whose example cannot be built (for the test that every body has a realistic one). */
export function unexampled(schema: JsonSchema, path = '', definitions: Record<string, JsonSchema> = {}): string[] {
  const defs = { ...definitions, ...((schema.$defs ?? {}) as Record<string, JsonSchema>) };
  if (exampleOf(schema, defs) !== undefined) return [];
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const items = isSchema(schema.items) ? [['[]', schema.items as JsonSchema] as const] : [];
  const children = [...Object.entries(properties), ...items];
  const branches = ['anyOf', 'oneOf'].flatMap((key) => (Array.isArray(schema[key]) ? (schema[key] as JsonSchema[]) : []).filter((branch) => branch.type !== 'null'));
  if (children.length === 0 && branches.length === 0) return [path || '/'];
  return [...children.flatMap(([key, child]) => unexampled(child, `${path}/${key}`, defs)), ...branches.slice(0, 1).flatMap((branch) => unexampled(branch, path, defs))];
}
