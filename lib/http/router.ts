import { lowerCased, matchTemplate, parseTemplate, pathSegments, type Segment } from './route-template.js';

/** An HTTP function as the host sees it: a name, its methods and its route template. */
export interface RoutedFunction {
  name: string;
  methods: readonly string[];
  route: string;
}

export type RouteMatch<F> = { function: F; params: Record<string, string> };

/**
 * The order the Functions host builds its route table in: by function name, ignoring case
 * (.NET's `StringComparison.OrdinalIgnoreCase`, which compares upper-cased UTF-16 code units).
 */
export function compareFunctionNames(a: string, b: string): number {
  const left = a.toUpperCase();
  const right = b.toUpperCase();
  return left < right ? -1 : left > right ? 1 : 0;
}

interface Entry<F> {
  function: F;
  segments: Segment[];
  methods: Set<string>;
}

/**
 * Routes requests the way the Functions host does: functions in name order, the first
 * whose template and method both match wins. The local host uses it, so a route the real
 * host would shadow is shadowed locally too.
 */
export class HostRouter<F extends RoutedFunction> {
  private readonly entries: Entry<F>[];

  constructor(functions: readonly F[]) {
    this.entries = [...functions]
      .sort((a, b) => compareFunctionNames(a.name, b.name))
      .map((fn) => ({ function: fn, segments: parseTemplate(fn.route), methods: new Set(fn.methods.map((method) => method.toUpperCase())) }));
  }

  match(method: string, path: string): RouteMatch<F> | undefined {
    const parts = pathSegments(path);
    const lowered = lowerCased(parts);
    const wanted = method.toUpperCase();
    for (const entry of this.entries) {
      if (!entry.methods.has(wanted)) continue;
      const params = matchTemplate(entry.segments, parts, lowered);
      if (params) return { function: entry.function, params };
    }
    return undefined;
  }

  /** Methods of the functions other than catch-alls whose template matches the path: the `Allow` of a 405. */
  allowedMethods(path: string): string[] {
    const parts = pathSegments(path);
    const lowered = lowerCased(parts);
    const allowed = new Set<string>();
    for (const entry of this.entries) {
      if (entry.segments.some((segment) => segment.kind === 'catch-all')) continue;
      if (matchTemplate(entry.segments, parts, lowered)) for (const method of entry.methods) allowed.add(method);
    }
    return [...allowed];
  }
}
