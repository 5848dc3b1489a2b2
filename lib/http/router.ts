import type { AnyRoute, HttpMethod } from './route.js';

export type RouteMatch =
  | { kind: 'matched'; route: AnyRoute; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' };

interface CompiledTemplate {
  template: string;
  segments: { literal?: string; param?: string }[];
  routes: Map<HttpMethod, AnyRoute>;
}

function compile(template: string): CompiledTemplate['segments'] {
  return template
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment)?.[1];
      return param ? { param } : { literal: segment };
    });
}

/**
 * Matches request paths (below /api) against the route templates, the way the Functions
 * host does: literal segments win over parameters, so `/docs/{asset}` never shadows a
 * literal sibling.
 */
export class Router {
  private readonly templates: CompiledTemplate[] = [];

  constructor(routes: readonly AnyRoute[]) {
    for (const route of routes) {
      let entry = this.templates.find((candidate) => candidate.template === route.path);
      if (!entry) {
        entry = { template: route.path, segments: compile(route.path), routes: new Map() };
        this.templates.push(entry);
      }
      if (entry.routes.has(route.method)) throw new Error(`Duplicate route ${route.method} ${route.path}`);
      entry.routes.set(route.method, route);
    }
    this.templates.sort((a, b) => specificity(b) - specificity(a));
  }

  match(method: string, path: string): RouteMatch {
    const parts = path.split('/').filter((segment) => segment.length > 0);
    for (const template of this.templates) {
      const params = matchSegments(template, parts);
      if (!params) continue;
      const route = template.routes.get(method.toUpperCase() as HttpMethod);
      if (route) return { kind: 'matched', route, params };
      return { kind: 'method-not-allowed', allowed: [...template.routes.keys()] };
    }
    return { kind: 'not-found' };
  }
}

function specificity(template: CompiledTemplate): number {
  // Earlier literal segments weigh more; ties broken by length.
  return template.segments.reduce((score, segment, index) => score + (segment.literal ? 2 ** (16 - index) : 0), 0);
}

function matchSegments(template: CompiledTemplate, parts: string[]): Record<string, string> | undefined {
  if (template.segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, segment] of template.segments.entries()) {
    const part = parts[index] as string;
    if (segment.literal !== undefined) {
      if (segment.literal !== part) return undefined;
      continue;
    }
    try {
      params[segment.param as string] = decodeURIComponent(part);
    } catch {
      return undefined;
    }
  }
  return params;
}
