import type { HttpMethod } from '../http/route.js';
import { DURABLE_CLIENT_SERVICES, type ServiceName } from '../services.js';
import { featureActivities, featureOrchestrators, featureTimers, type Feature } from './feature.js';
import type { Schedule } from './schedule.js';

/**
 * What the Functions host needs to know of a function before it first runs: its name,
 * trigger and bindings, and the feature whose module implements it. The Functions entry
 * registers from these (functions/function-manifest.ts, generated) without importing any
 * feature; the local host registers from the same declarations of its own feature list.
 */
interface Declared {
  name: string;
  /** The owning feature (`Feature.name`): its module is imported on the function's first invocation. */
  feature: string;
}

export interface HttpDeclaration extends Declared {
  kind: 'http';
  method: HttpMethod;
  /** Route template below the `api` prefix, as `app.http` takes it. */
  route: string;
  durableClient: boolean;
  /** Served by the local host only: the Functions entry refuses to register it. */
  localOnly?: true;
}

export interface TimerDeclaration extends Declared {
  kind: 'timer';
  schedule: Schedule;
  durableClient: boolean;
}

export interface DurableDeclaration extends Declared {
  kind: 'orchestration' | 'activity';
}

export type FunctionDeclaration = HttpDeclaration | TimerDeclaration | DurableDeclaration;

/** A function whose services reach the job scheduler needs the durable client input binding. */
export function needsDurableClient(uses: readonly ServiceName[]): boolean {
  return uses.some((service) => DURABLE_CLIENT_SERVICES.includes(service));
}

/**
 * Every function the features declare, in feature order: one per route, one per timer (each
 * job's two timers included), every orchestrator and activity. Each is implemented by its
 * own feature alone, so a job's orchestrator must be declared by the job's feature.
 */
export function functionManifest(features: readonly Feature[]): FunctionDeclaration[] {
  return features.flatMap((feature): FunctionDeclaration[] => {
    const owned = { feature: feature.name };
    for (const job of feature.jobs ?? []) {
      if (!feature.orchestrators?.[job.orchestrator]) throw new Error(`job ${job.name} of feature ${feature.name} names orchestrator ${job.orchestrator}, which that feature does not declare`);
    }
    return [
      ...(feature.routes ?? []).map((route): HttpDeclaration => ({
        kind: 'http',
        name: route.name,
        ...owned,
        method: route.method,
        route: route.path.slice(1),
        durableClient: needsDurableClient(route.uses),
        ...(route.localOnly ? { localOnly: true as const } : {}),
      })),
      ...featureTimers([feature]).map((timer): TimerDeclaration => ({
        kind: 'timer',
        name: timer.name,
        ...owned,
        schedule: timer.schedule,
        durableClient: needsDurableClient(timer.uses),
      })),
      ...Object.keys(featureOrchestrators([feature])).map((name): DurableDeclaration => ({ kind: 'orchestration', name, ...owned })),
      // Only the names: the activities are never run from here.
      ...Object.keys(featureActivities([feature], () => Promise.reject(new Error('not for running')))).map((name): DurableDeclaration => ({ kind: 'activity', name, ...owned })),
    ];
  });
}

/** Whether a function's handler may start or read an orchestration, from what its feature declares it uses. */
export function durableClientNeeds(features: readonly Feature[]): (functionName: string) => boolean {
  const needing = new Set(functionManifest(features).flatMap((declaration) => ('durableClient' in declaration && declaration.durableClient ? [declaration.name] : [])));
  return (name) => needing.has(name);
}
