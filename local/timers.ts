import type { TimerFunction, FunctionRegistration } from '../lib/app/function-registrations.js';
import { nextOccurrence } from '../lib/app/schedule.js';
import type { Clock } from '../lib/clock.js';
import { invocationContextFor } from './invocation.js';

export interface LocalTimers {
  stop(): void;
}

/**
 * The local host's timer triggers: each timer function fires on its schedule (UTC, by the
 * app's clock) with the bindings it declares, as the Functions host fires it. A job's timer
 * starts its daily run on the local durable driver; a timer firing twice in a day starts one
 * run (scheduled run ids are per job and day). Failures are logged by the handler.
 */
export function startLocalTimers(registrations: readonly FunctionRegistration[], clock: Clock): LocalTimers {
  const handles = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  const arm = (fn: TimerFunction): void => {
    if (stopped) return;
    const now = clock.now();
    const handle = setTimeout(() => void fire(fn), nextOccurrence(fn.timing, now).getTime() - now.getTime());
    // Timers never keep the process (or a test run) alive on their own.
    handle.unref();
    handles.set(fn.name, handle);
  };

  const fire = async (fn: TimerFunction): Promise<void> => {
    await fn.handler({ isPastDue: false }, invocationContextFor(fn, { type: 'timerTrigger' })).catch(() => undefined);
    arm(fn);
  };

  for (const registration of registrations) if (registration.kind === 'timer') arm(registration);
  return {
    stop() {
      stopped = true;
      for (const handle of handles.values()) clearTimeout(handle);
    },
  };
}
