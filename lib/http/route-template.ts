/**
 * Route templates as the Functions host reads them (ASP.NET Core route templates, below the
 * `api` prefix): literal segments compared case-insensitively, `{name}` one segment,
 * `{*name}` the rest of the path (zero or more segments, last only).
 */
export type Segment = { kind: 'literal'; text: string } | { kind: 'param'; name: string } | { kind: 'catch-all'; name: string };

const PARAM = /^\{([A-Za-z][A-Za-z0-9]*)\}$/;
const CATCH_ALL = /^\{\*([A-Za-z][A-Za-z0-9]*)\}$/;
/** Lower-case literals only: URLs are case-insensitive on the host, so mixed case only invites two spellings. */
const LITERAL = /^[a-z0-9][a-z0-9._-]*$/;

class RouteTemplateError extends Error {
  constructor(template: string, reason: string) {
    super(`route template "${template}" ${reason}`);
    this.name = 'RouteTemplateError';
  }
}

export function parseTemplate(template: string): Segment[] {
  if (template.startsWith('/') || template.endsWith('/')) throw new RouteTemplateError(template, 'must not start or end with "/"');
  const parts = template.split('/');
  const names = new Set<string>();
  return parts.map((part, index) => {
    const catchAll = CATCH_ALL.exec(part);
    const param = PARAM.exec(part);
    const name = catchAll?.[1] ?? param?.[1];
    if (name !== undefined) {
      if (names.has(name.toLowerCase())) throw new RouteTemplateError(template, `repeats the parameter "${name}"`);
      names.add(name.toLowerCase());
    }
    if (catchAll) {
      if (index !== parts.length - 1) throw new RouteTemplateError(template, 'may have a catch-all parameter only as its last segment');
      return { kind: 'catch-all', name: catchAll[1] as string };
    }
    if (param) return { kind: 'param', name: param[1] as string };
    if (!LITERAL.test(part)) throw new RouteTemplateError(template, `has a segment "${part}" that is neither a lower-case literal nor a {parameter}`);
    return { kind: 'literal', text: part };
  });
}

/**
 * The parameters if the path's segments (already split, non-empty) match, else undefined.
 * `lowered` is the same segments lower-cased (literals are lower-case): a router passes it
 * in, computed once per request, since it tries one template after another.
 */
export function matchTemplate(segments: readonly Segment[], parts: readonly string[], lowered: readonly string[] = lowerCased(parts)): Record<string, string> | undefined {
  const catchAll = segments.at(-1)?.kind === 'catch-all';
  if (catchAll ? parts.length < segments.length - 1 : parts.length !== segments.length) return undefined;
  // The literals first: most templates a router tries differ from the path there, and this allocates nothing.
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index] as Segment;
    if (segment.kind === 'literal' && segment.text !== lowered[index]) return undefined;
  }
  const params: Record<string, string> = {};
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index] as Segment;
    if (segment.kind === 'catch-all') params[segment.name] = parts.slice(index).join('/');
    else if (segment.kind === 'param') {
      try {
        params[segment.name] = decodeURIComponent(parts[index] as string);
      } catch {
        return undefined;
      }
    }
  }
  return params;
}

export function lowerCased(parts: readonly string[]): string[] {
  return parts.map((part) => part.toLowerCase());
}

/** Whether some path matches both templates. */
export function templatesOverlap(a: readonly Segment[], b: readonly Segment[]): boolean {
  for (let index = 0; ; index++) {
    const left = a[index];
    const right = b[index];
    if (left?.kind === 'catch-all' || right?.kind === 'catch-all') return true;
    if (left === undefined || right === undefined) return left === right;
    if (left.kind === 'literal' && right.kind === 'literal' && left.text.toLowerCase() !== right.text.toLowerCase()) return false;
  }
}

/**
 * How specific a template is: a literal beats a parameter beats a catch-all, earlier
 * segments weigh more. Where two templates overlap, the more specific one is meant to win.
 */
export function specificity(segments: readonly Segment[]): number {
  const weight = { literal: 2, param: 1, 'catch-all': 0 } as const;
  return segments.reduce((score, segment, index) => score + weight[segment.kind] * 3 ** (20 - index), 0);
}

export function pathSegments(path: string): string[] {
  return path.split('/').filter((segment) => segment.length > 0);
}
