import { compareFunctionNames } from '../http/router.js';
import { parseTemplate, specificity, templatesOverlap, type Segment } from '../http/route-template.js';
import { isDurableClientInput } from '../jobs/invocation-scope.js';

/** A function as registered with the host: its name, trigger binding and extra inputs. */
export interface FunctionMetadata {
  name: string;
  trigger: { type: string; methods?: readonly string[]; route?: string; schedule?: string; authLevel?: string };
  extraInputs: readonly { type: string }[];
}

export interface HostRuleViolation {
  rule: string;
  functionName: string;
  detail: string;
}

export interface HostRuleContext {
  /** Whether the function's handler may start or read an orchestration (from its `uses`). */
  needsDurableClient(functionName: string): boolean;
}

export interface HostRule {
  id: string;
  /** What the real Functions host does, which the rule encodes (docs/operations.md lists them). */
  hostBehaviour: string;
  check(functions: readonly FunctionMetadata[], context: HostRuleContext): HostRuleViolation[];
}

const HTTP = 'httpTrigger';
const FUNCTION_NAME = /^[a-zA-Z][a-zA-Z0-9_-]{0,127}$/;
const RESERVED_PREFIXES = ['admin', 'runtime'];
/** Six fields (seconds first): what the timer trigger's NCRONTAB parser takes. */
const NCRONTAB = /^(\S+\s+){5}\S+$/;
const DURABLE_TRIGGERS = new Set(['orchestrationTrigger', 'activityTrigger']);

const isHttp = (fn: FunctionMetadata) => fn.trigger.type === HTTP;
const violation = (rule: string, fn: FunctionMetadata, detail: string): HostRuleViolation => ({ rule, functionName: fn.name, detail });

/** The route the host checks: the template, or the function name when there is none; lower-cased, trimmed of `/`. */
function effectiveRoute(fn: FunctionMetadata): string {
  return (fn.trigger.route ?? fn.name).toLowerCase().replace(/^\/+|\/+$/g, '');
}

function templateOf(fn: FunctionMetadata): Segment[] | undefined {
  try {
    return parseTemplate(fn.trigger.route ?? fn.name);
  } catch {
    return undefined;
  }
}

export const HOST_RULES: readonly HostRule[] = [
  {
    id: 'function-name',
    hostBehaviour: 'A function name must match ^[a-zA-Z][a-zA-Z0-9_-]{0,127}$; the host refuses to index any other.',
    check: (functions) => functions.filter((fn) => !FUNCTION_NAME.test(fn.name)).map((fn) => violation('function-name', fn, 'is not a valid function name')),
  },
  {
    id: 'unique-name',
    hostBehaviour: 'Function names are unique ignoring case; a second registration of a name is an error.',
    check: (functions) => {
      const seen = new Set<string>();
      return functions.flatMap((fn) => {
        const key = fn.name.toUpperCase();
        if (seen.has(key)) return [violation('unique-name', fn, 'is registered twice')];
        seen.add(key);
        return [];
      });
    },
  },
  {
    id: 'reserved-route',
    hostBehaviour:
      "An HTTP function whose route (or, without a route, whose name), lower-cased and trimmed of '/', starts with 'admin' or 'runtime' is put in error: \"The specified route conflicts with one or more built in routes.\" The 'api' prefix does not help.",
    check: (functions) =>
      functions
        .filter((fn) => isHttp(fn) && RESERVED_PREFIXES.some((prefix) => effectiveRoute(fn).startsWith(prefix)))
        .map((fn) => violation('reserved-route', fn, `route "${effectiveRoute(fn)}" starts with a prefix the host reserves`)),
  },
  {
    id: 'route-syntax',
    hostBehaviour:
      'Route templates are ASP.NET Core templates: no empty segments, {name} parameters with unique names, a {*name} catch-all only last. We also keep literal segments lower-case.',
    check: (functions) =>
      functions.filter(isHttp).flatMap((fn) => {
        try {
          parseTemplate(fn.trigger.route ?? fn.name);
          return [];
        } catch (error) {
          return [violation('route-syntax', fn, error instanceof Error ? error.message : 'is not a valid route template')];
        }
      }),
  },
  {
    id: 'unique-route',
    hostBehaviour: 'Two HTTP functions with the same route template and a shared method put the later one in error ("The route specified conflicts with the route defined by function ...").',
    check: (functions) => {
      const seen = new Map<string, string>();
      return functions.filter(isHttp).flatMap((fn) =>
        (fn.trigger.methods ?? []).flatMap((method) => {
          const key = `${method.toUpperCase()} ${effectiveRoute(fn)}`;
          const other = seen.get(key);
          if (other) return [violation('unique-route', fn, `${key} is also the route of ${other}`)];
          seen.set(key, fn.name);
          return [];
        }),
      );
    },
  },
  {
    id: 'route-order',
    hostBehaviour:
      'The host builds its route table in function-name order (ordinal, ignoring case) and the first template and method that match win; registration order does not matter. A function that sorts before a more specific one it overlaps takes its requests, so a catch-all must sort last.',
    check: (functions) => {
      const http = functions
        .filter(isHttp)
        .map((fn) => ({ fn, template: templateOf(fn), methods: new Set((fn.trigger.methods ?? []).map((m) => m.toUpperCase())) }))
        .filter((entry): entry is typeof entry & { template: Segment[] } => entry.template !== undefined)
        .sort((a, b) => compareFunctionNames(a.fn.name, b.fn.name));
      const found: HostRuleViolation[] = [];
      for (const [index, earlier] of http.entries()) {
        for (const later of http.slice(index + 1)) {
          if (![...earlier.methods].some((method) => later.methods.has(method))) continue;
          if (!templatesOverlap(earlier.template, later.template)) continue;
          if (specificity(later.template) >= specificity(earlier.template)) {
            found.push(violation('route-order', later.fn, `is shadowed by ${earlier.fn.name}, which sorts before it and matches the same requests`));
          }
        }
      }
      return found;
    },
  },
  {
    id: 'durable-client-input',
    hostBehaviour:
      "The durable client exists only inside an invocation whose function declares the 'durableClient' input; getClient throws otherwise. Functions with that input need WEBSITE_HOSTNAME (set by Core Tools and Azure) or fail with \"Webhooks are not configured\".",
    check: (functions, context) =>
      functions
        .filter((fn) => context.needsDurableClient(fn.name) && !fn.extraInputs.some(isDurableClientInput))
        .map((fn) => violation('durable-client-input', fn, 'starts or reads orchestrations but has no durableClient input')),
  },
  {
    id: 'durable-trigger-shape',
    hostBehaviour:
      "Orchestrator and activity functions have exactly the trigger durable-functions declares ('orchestrationTrigger', 'activityTrigger') and no other bindings; the Durable Task extension dispatches by function name.",
    check: (functions) =>
      functions
        .filter((fn) => DURABLE_TRIGGERS.has(fn.trigger.type) && fn.extraInputs.length > 0)
        .map((fn) => violation('durable-trigger-shape', fn, `a ${fn.trigger.type} function takes no extra inputs`)),
  },
  {
    id: 'timer-schedule',
    hostBehaviour: 'A timer trigger needs a six-field NCRONTAB schedule (seconds first); the host refuses to index another.',
    check: (functions) =>
      functions
        .filter((fn) => fn.trigger.type === 'timerTrigger' && !NCRONTAB.test(fn.trigger.schedule ?? ''))
        .map((fn) => violation('timer-schedule', fn, `schedule "${fn.trigger.schedule ?? ''}" is not six-field NCRONTAB`)),
  },
  {
    id: 'anonymous-http',
    hostBehaviour: "An HTTP function with authLevel 'function' or 'admin' answers 401 to callers without a function key; ours authenticate in code, so every HTTP function is anonymous.",
    check: (functions) =>
      functions
        .filter((fn) => isHttp(fn) && fn.trigger.authLevel !== 'anonymous')
        .map((fn) => violation('anonymous-http', fn, `authLevel is ${fn.trigger.authLevel ?? 'unset (function)'}`)),
  },
];

export function checkHostRules(functions: readonly FunctionMetadata[], context: HostRuleContext): HostRuleViolation[] {
  return HOST_RULES.flatMap((rule) => rule.check(functions, context));
}

export class HostConformanceError extends Error {
  constructor(readonly violations: readonly HostRuleViolation[]) {
    super(`The Functions host would refuse or misroute these functions:\n${violations.map((v) => `  - [${v.rule}] ${v.functionName}: ${v.detail}`).join('\n')}`);
    this.name = 'HostConformanceError';
  }
}
