import type { FunctionInput, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import { dispatch } from '../http/dispatcher.js';
import { unmatchedResponse } from '../http/fallback.js';
import type { AnyRoute, HttpMethod } from '../http/route.js';
import { HostRouter } from '../http/router.js';
import { durableClientInput, withInvocation } from '../jobs/invocation-scope.js';
import { DURABLE_CLIENT_SERVICES, type ServiceName, type Services } from '../services.js';
import { describeError } from '../telemetry/scrubber.js';
import { featureActivities, featureOrchestrators, featureRoutes, featureTimers, type Feature, type TimerDefinition } from './feature.js';
import { ncrontab } from './schedule.js';

/**
 * The problem+json answer for unknown routes and wrong methods. Named to sort after every
 * other function: the host tries routes in function-name order, and a catch-all that sorts
 * earlier takes the requests of every function after it (tests/ops/host-conformance.test.ts).
 */
export const CATCH_ALL_FUNCTION = 'zz-unmatched-route';
const ALL_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const CATCH_ALL_METHODS = [...ALL_METHODS, 'HEAD', 'OPTIONS'] as const;

export type HttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

export interface HttpFunction {
  kind: 'http';
  name: string;
  methods: readonly string[];
  /** Route template below the `api` prefix, as `app.http` takes it. */
  route: string;
  extraInputs: FunctionInput[];
  /** The route definition it serves; none for the catch-all. */
  definition: AnyRoute | undefined;
  handler: HttpHandler;
}

export interface TimerFunction {
  kind: 'timer';
  name: string;
  /** NCRONTAB, as `app.timer` takes it. */
  schedule: string;
  extraInputs: FunctionInput[];
  definition: TimerDefinition;
  handler: (timer: unknown, context: InvocationContext) => Promise<void>;
}

export interface OrchestrationFunction {
  kind: 'orchestration';
  name: string;
  handler: OrchestrationHandler;
}

export interface ActivityFunction {
  kind: 'activity';
  name: string;
  handler: ActivityHandler;
}

export type FunctionRegistration = HttpFunction | TimerFunction | OrchestrationFunction | ActivityFunction;

/** A function whose services reach the job scheduler needs the durable client input binding. */
export function needsDurableClient(uses: readonly ServiceName[]): boolean {
  return uses.some((service) => DURABLE_CLIENT_SERVICES.includes(service));
}

function bindingsFor(uses: readonly ServiceName[]): FunctionInput[] {
  return needsDurableClient(uses) ? [durableClientInput()] : [];
}

/**
 * Every function the app registers, from the feature list: one per route, one per timer
 * (each job's timer included), every orchestrator and activity, and the catch-all. The
 * Functions entry hands these to `app.http`/`app.timer`/`app.generic`; the local host, its
 * timers and the local durable driver serve the same list.
 */
export function functionRegistrations(features: readonly Feature[], services: () => Promise<Services>): FunctionRegistration[] {
  const http: HttpFunction[] = featureRoutes(features).map((route) => ({
    kind: 'http',
    name: route.name,
    methods: [route.method],
    route: route.path.slice(1),
    extraInputs: bindingsFor(route.uses),
    definition: route,
    handler: (request, context) => withInvocation(context, () => dispatch(route, request, { services })),
  }));
  // Built on the first unmatched request, not at cold start: most instances never see one.
  let router: HostRouter<HttpFunction> | undefined;
  const catchAll: HttpFunction = {
    kind: 'http',
    name: CATCH_ALL_FUNCTION,
    methods: CATCH_ALL_METHODS,
    route: '{*path}',
    extraInputs: [],
    definition: undefined,
    handler: async (request) => unmatchedResponse((router ??= new HostRouter(http)), request.method, new URL(request.url).pathname.replace(/^\/api(?=\/|$)/, ''), request.headers.get('accept-language')),
  };
  const timers: TimerFunction[] = featureTimers(features).map((timer) => ({
    kind: 'timer',
    name: timer.name,
    schedule: ncrontab(timer.schedule),
    extraInputs: bindingsFor(timer.uses),
    definition: timer,
    handler: (_timer, context) => withInvocation(context, () => runTimer(timer, services)),
  }));
  const orchestrations: OrchestrationFunction[] = Object.entries(featureOrchestrators(features)).map(([name, handler]) => ({ kind: 'orchestration', name, handler }));
  const activities: ActivityFunction[] = Object.entries(invokedActivities(features, services)).map(([name, handler]) => ({ kind: 'activity', name, handler }));
  return [...http, catchAll, ...timers, ...orchestrations, ...activities];
}

/**
 * Every feature's activities, each run inside its own invocation as on the host (no durable
 * client there); the local driver runs the same, with a test's fault wrapped inside.
 */
export function invokedActivities(
  features: readonly Feature[],
  services: () => Promise<Services>,
  wrap: (name: string, handler: ActivityHandler) => ActivityHandler = (_name, handler) => handler,
): Record<string, ActivityHandler> {
  return Object.fromEntries(
    Object.entries(featureActivities(features, services)).map(([name, handler]) => {
      const wrapped = wrap(name, handler);
      return [name, ((input, context) => withInvocation(context, () => wrapped(input, context))) satisfies ActivityHandler];
    }),
  );
}

async function runTimer(timer: TimerDefinition, services: () => Promise<Services>): Promise<void> {
  const ready = await services();
  try {
    await timer.run(ready);
  } catch (error) {
    // The host records the failed invocation too, but only our logger scrubs what it says.
    ready.logger.error('timer-failed', { timer: timer.name, ...describeError(error) });
    throw error;
  }
}

export function httpFunctions(registrations: readonly FunctionRegistration[]): HttpFunction[] {
  return registrations.filter((registration): registration is HttpFunction => registration.kind === 'http');
}
