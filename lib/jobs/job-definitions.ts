import { EXPORT_EXPIRY_JOB } from '../exports/export-expiry.js';
import { LEAVER_REPORT_EXPIRY_JOB } from '../reports/leaver-report-expiry.js';
import { USAGE_ANONYMISATION_JOB } from '../usage/usage-anonymiser.js';
import type { DailySchedule } from './daily-schedule.js';

export interface JobDefinition {
  name: string;
  /** The durable orchestrator a run starts. */
  orchestrator: string;
  /** When the timer starts a run (Azure: NCRONTAB timer; locally: local/job-runner.ts). */
  schedule: DailySchedule;
}

/** Every job ops can run and the timers start. A name not listed here answers 404. */
export const JOBS: Readonly<Record<string, JobDefinition>> = {
  [USAGE_ANONYMISATION_JOB]: { name: USAGE_ANONYMISATION_JOB, orchestrator: USAGE_ANONYMISATION_JOB, schedule: { hourUtc: 2, minuteUtc: 15 } },
  [EXPORT_EXPIRY_JOB]: { name: EXPORT_EXPIRY_JOB, orchestrator: EXPORT_EXPIRY_JOB, schedule: { hourUtc: 2, minuteUtc: 45 } },
  [LEAVER_REPORT_EXPIRY_JOB]: { name: LEAVER_REPORT_EXPIRY_JOB, orchestrator: LEAVER_REPORT_EXPIRY_JOB, schedule: { hourUtc: 1, minuteUtc: 45 } },
};

export function jobDefinition(name: string): JobDefinition | undefined {
  return Object.hasOwn(JOBS, name) ? JOBS[name] : undefined;
}
