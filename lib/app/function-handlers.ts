import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import { dispatch } from '../http/dispatcher.js';
import { withInvocation } from '../jobs/invocation-scope.js';
import type { Services } from '../services.js';
import { describeError } from '../telemetry/scrubber.js';
import { featureActivities, featureOrchestrators, featureRoutes, featureTimers, type Feature, type TimerDefinition } from './feature.js';
import type { DurableDeclaration, FunctionDeclaration, HttpDeclaration, TimerDeclaration } from './function-manifest.js';

/*
 * What a declared function does, taken from its feature on the function's first invocation
 * (lib/app/function-registrations.ts imports this module then, not at cold start).
 */

export type HttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
export type TimerHandler = (timer: unknown, context: InvocationContext) => Promise<void>;

function undeclared(feature: Feature, declaration: FunctionDeclaration): Error {
  return new Error(`function ${declaration.name} is in the manifest but feature ${feature.name} does not declare it (run \`npm run function-manifest\`)`);
}

export function httpHandler(feature: Feature, declaration: HttpDeclaration, services: () => Promise<Services>): HttpHandler {
  const route = featureRoutes([feature]).find((candidate) => candidate.name === declaration.name);
  if (!route) throw undeclared(feature, declaration);
  return (request, context) => withInvocation(context, () => dispatch(route, request, { services }));
}

export function timerHandler(feature: Feature, declaration: TimerDeclaration, services: () => Promise<Services>): TimerHandler {
  const timer = featureTimers([feature]).find((candidate) => candidate.name === declaration.name);
  if (!timer) throw undeclared(feature, declaration);
  return (_timer, context) => withInvocation(context, () => runTimer(timer, services));
}

export function orchestrationHandler(feature: Feature, declaration: DurableDeclaration): OrchestrationHandler {
  const handler = featureOrchestrators([feature])[declaration.name];
  if (!handler) throw undeclared(feature, declaration);
  return handler;
}

export function activityHandler(feature: Feature, declaration: DurableDeclaration, services: () => Promise<Services>): ActivityHandler {
  const handler = invokedActivities([feature], services)[declaration.name];
  if (!handler) throw undeclared(feature, declaration);
  return handler;
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
