import { nextOccurrence } from '../lib/jobs/daily-schedule.js';
import { JOBS, type JobDefinition } from '../lib/jobs/job-definitions.js';
import type { Services } from '../lib/services.js';
import { timers as frequentTimers } from '../functions/timers/index.js';

export interface LocalJobRunner {
  stop(): void;
}

/**
 * The local host's timers: each job starts a run on its daily schedule (UTC, by the
 * services' clock), as its Azure timer does. Runs go through `services.jobs`, so they run
 * on the local durable driver with the same orchestrator code. A timer firing twice in a
 * day starts one run (scheduled run ids are per job and day).
 */
export function startLocalJobRunner(services: Services): LocalJobRunner {
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  const arm = (job: JobDefinition): void => {
    if (stopped) return;
    const now = services.clock.now();
    const timer = setTimeout(() => void fire(job), nextOccurrence(job.schedule, now).getTime() - now.getTime());
    // Timers never keep the process (or a test run) alive on their own.
    timer.unref();
    timers.set(job.name, timer);
  };

  const fire = async (job: JobDefinition): Promise<void> => {
    try {
      const runId = await services.jobs.startRun(job.name, {}, 'schedule');
      services.logger.info('job-run-scheduled', { job: job.name, runId });
    } catch (error) {
      services.logger.error('job-run-not-started', { job: job.name, error: error instanceof Error ? error.name : 'unknown' });
    }
    arm(job);
  };

  for (const job of Object.values(JOBS)) arm(job);
  // The frequent timers (availability probe, mailings) run on intervals, as their Azure timers do.
  const intervals = frequentTimers.map((definition) => {
    const interval = setInterval(() => {
      definition.run(services).catch((error: unknown) =>
        services.logger.error('timer-failed', { timer: definition.name, error: error instanceof Error ? error.name : 'unknown' }));
    }, definition.everyMinutes * 60_000);
    interval.unref();
    return interval;
  });
  return {
    stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      for (const interval of intervals) clearInterval(interval);
    },
  };
}
