import type { FunctionInput } from '@azure/functions';
import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import type { HostRouter } from '../http/router.js';
import { durableClientInput } from '../jobs/invocation-scope.js';
import type { Services } from '../services.js';
import type { Feature } from './feature.js';
import type * as FunctionHandlers from './function-handlers.js';
import type { FunctionDeclaration, HttpDeclaration } from './function-manifest.js';
import { ncrontab, type Schedule } from './schedule.js';

export type { HttpHandler, TimerHandler } from './function-handlers.js';

/**
 * The problem+json answer for unknown routes and wrong methods. Named to sort after every
 * other function: the host tries routes in function-name order, and a catch-all that sorts
 * earlier takes the requests of every function after it (tests/ops/host-conformance.test.ts).
 */
export const CATCH_ALL_FUNCTION = 'zz-unmatched-route';
const CATCH_ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

export interface HttpFunction {
  kind: 'http';
  name: string;
  methods: readonly string[];
  /** Route template below the `api` prefix, as `app.http` takes it. */
  route: string;
  extraInputs: FunctionInput[];
  /** Its declaration; none for the catch-all. */
  declaration: HttpDeclaration | undefined;
  handler: FunctionHandlers.HttpHandler;
}

export interface TimerFunction {
  kind: 'timer';
  name: string;
  /** NCRONTAB, as `app.timer` takes it. */
  schedule: string;
  /** The same schedule, as the local host's timers read it. */
  timing: Schedule;
  extraInputs: FunctionInput[];
  handler: FunctionHandlers.TimerHandler;
}

export interface OrchestrationFunction {
  kind: 'orchestration';
  name: string;
  /** The generator itself, loaded on first use: durable-functions wraps it then (functions/lazy-durable.ts). */
  orchestrator: () => Promise<OrchestrationHandler>;
}

export interface ActivityFunction {
  kind: 'activity';
  name: string;
  handler: ActivityHandler;
}

export type FunctionRegistration = HttpFunction | TimerFunction | OrchestrationFunction | ActivityFunction;

type Handlers = typeof FunctionHandlers;

/**
 * Every declared function as the host registers it, plus the catch-all. Nothing of a feature
 * is loaded here: each handler imports its feature (`featureNamed`) and the handler code on its
 * first invocation and keeps the promise, so the Functions entry imports in about the time of
 * a bare app (docs/benchmarks.md, cold start). The Functions entry hands these to
 * `app.http`/`app.timer`/`app.generic`; the local host and its timers serve the same.
 */
export function functionRegistrations(
  manifest: readonly FunctionDeclaration[],
  featureNamed: (name: string) => Promise<Feature>,
  services: () => Promise<Services>,
): FunctionRegistration[] {
  const firstUse = <T>(declaration: FunctionDeclaration, make: (handlers: Handlers, feature: Feature) => T): (() => Promise<T>) => {
    let made: Promise<T> | undefined;
    return () => (made ??= Promise.all([import('./function-handlers.js'), featureNamed(declaration.feature)]).then(([handlers, feature]) => make(handlers, feature)));
  };
  const bindings = (durableClient: boolean): FunctionInput[] => (durableClient ? [durableClientInput()] : []);

  const registrations = manifest.map((declaration): FunctionRegistration => {
    switch (declaration.kind) {
      case 'http': {
        const handler = firstUse(declaration, (handlers, feature) => handlers.httpHandler(feature, declaration, services));
        return {
          kind: 'http',
          name: declaration.name,
          methods: [declaration.method],
          route: declaration.route,
          extraInputs: bindings(declaration.durableClient),
          declaration,
          handler: async (request, context) => (await handler())(request, context),
        };
      }
      case 'timer': {
        const handler = firstUse(declaration, (handlers, feature) => handlers.timerHandler(feature, declaration, services));
        return {
          kind: 'timer',
          name: declaration.name,
          schedule: ncrontab(declaration.schedule),
          timing: declaration.schedule,
          extraInputs: bindings(declaration.durableClient),
          handler: async (timer, context) => (await handler())(timer, context),
        };
      }
      case 'orchestration':
        return { kind: 'orchestration', name: declaration.name, orchestrator: firstUse(declaration, (handlers, feature) => handlers.orchestrationHandler(feature, declaration)) };
      case 'activity': {
        const handler = firstUse(declaration, (handlers, feature) => handlers.activityHandler(feature, declaration, services));
        return { kind: 'activity', name: declaration.name, handler: async (input, context) => (await handler())(input, context) };
      }
    }
  });
  return [...registrations, catchAll(httpFunctions(registrations))];
}

/** The catch-all: its router and problem answers load on the first unmatched request, which most instances never see. */
function catchAll(routed: readonly HttpFunction[]): HttpFunction {
  let router: Promise<HostRouter<HttpFunction>> | undefined;
  return {
    kind: 'http',
    name: CATCH_ALL_FUNCTION,
    methods: CATCH_ALL_METHODS,
    route: '{*path}',
    extraInputs: [],
    declaration: undefined,
    handler: async (request) => {
      const [{ unmatchedResponse }, hostRouter] = await Promise.all([
        import('../http/fallback.js'),
        (router ??= import('../http/router.js').then(({ HostRouter }) => new HostRouter(routed))),
      ]);
      return unmatchedResponse(hostRouter, request.method, new URL(request.url).pathname.replace(/^\/api(?=\/|$)/, ''), request.headers.get('accept-language'));
    },
  };
}

export function httpFunctions(registrations: readonly FunctionRegistration[]): HttpFunction[] {
  return registrations.filter((registration): registration is HttpFunction => registration.kind === 'http');
}

/** The features of a list by name, for hosts that hold them already (the local host, tests). */
export function featuresByName(features: readonly Feature[]): (name: string) => Promise<Feature> {
  return (name) => {
    const feature = features.find((candidate) => candidate.name === name);
    return feature ? Promise.resolve(feature) : Promise.reject(new Error(`no feature named ${name}`));
  };
}
