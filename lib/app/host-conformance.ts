import type { FunctionRegistration } from './function-registrations.js';
import { checkHostRules, HostConformanceError, type FunctionMetadata } from './host-rules.js';

/*
 * The real Functions host's rules applied to our registrations: the local host refuses to
 * start on a violation, as the real host would put the function in error, and the
 * conformance test runs them over the built entry. Not on the Functions entry's import path:
 * the real host checks for itself.
 */

/** A registration as the host sees it: what `app.http`, `app.timer` and `app.generic` turn it into. */
function metadataOf(registration: FunctionRegistration): FunctionMetadata {
  switch (registration.kind) {
    case 'http':
      return {
        name: registration.name,
        trigger: { type: 'httpTrigger', methods: registration.methods, route: registration.route, authLevel: 'anonymous' },
        extraInputs: registration.extraInputs,
      };
    case 'timer':
      return { name: registration.name, trigger: { type: 'timerTrigger', schedule: registration.schedule }, extraInputs: registration.extraInputs };
    case 'orchestration':
      return { name: registration.name, trigger: { type: 'orchestrationTrigger' }, extraInputs: [] };
    case 'activity':
      return { name: registration.name, trigger: { type: 'activityTrigger' }, extraInputs: [] };
  }
}

/** Refuses, as the real host would, any registration that breaks a host rule (lib/app/host-rules.ts). */
export function assertHostConformance(registrations: readonly FunctionRegistration[], needsDurableClient: (functionName: string) => boolean): void {
  const violations = checkHostRules(registrations.map(metadataOf), { needsDurableClient });
  if (violations.length > 0) throw new HostConformanceError(violations);
}
