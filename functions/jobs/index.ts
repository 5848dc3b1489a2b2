import functions, { type FunctionInput } from '@azure/functions';
import type { AnyRoute } from '../../lib/http/route.js';
import { ncrontab } from '../../lib/jobs/daily-schedule.js';
import { withInvocation } from '../../lib/jobs/invocation-scope.js';
import { JOBS } from '../../lib/jobs/job-definitions.js';
import { erasureActivities, erasureOrchestrators } from '../../lib/erasure/erasure-job.js';
import { exportExpiryActivities, exportExpiryOrchestrators } from '../../lib/exports/export-expiry-job.js';
import { leaverReportActivities, leaverReportOrchestrators } from '../../lib/reports/leaver-report-jobs.js';
import { processServices } from '../../lib/runtime.js';
import { closeAllRequestLogs } from '../../lib/usage/request-log.js';
import { usageAnonymisationActivities, usageAnonymisationOrchestrators } from '../../lib/usage/usage-anonymisation-job.js';
import { JOB_ROUTE_NAMES } from '../routes/job-routes.js';
import { durableClientInput, registerActivity, registerOrchestration } from './lazy-durable.js';
import { LEAVER_REPORT_DURABLE_ROUTE_NAMES } from '../routes/leaver-report-routes.js';

// @azure/functions is a CommonJS bundle whose named exports Node's ESM loader cannot see.
const { app } = functions;
const durableRoutes = new Set<string>([...JOB_ROUTE_NAMES, ...LEAVER_REPORT_DURABLE_ROUTE_NAMES]);

/** The durable client input binding, for the HTTP routes that start or read job runs. */
export function durableClientInputs(route: AnyRoute): { extraInputs?: FunctionInput[] } {
  return durableRoutes.has(route.name) ? { extraInputs: [durableClientInput()] } : {};
}

/**
 * The retention jobs in Azure: a timer per job (NCRONTAB, UTC) that starts a run through the
 * durable client, and the orchestrators and activities it runs. Activities build services
 * lazily, as HTTP functions do.
 */
export function registerJobFunctions(): void {
  // The Azure job scheduler finds the durable client binding of the invocation it runs in.
  app.hook.preInvocation((context) => {
    if (!durableRoutes.has(context.invocationContext.functionName)) return;
    const handler = context.functionHandler;
    context.functionHandler = (input, invocation) => withInvocation(invocation, () => handler(input, invocation));
  });
  for (const [name, handler] of Object.entries(usageAnonymisationOrchestrators)) registerOrchestration(name, handler);
  const activities = usageAnonymisationActivities(async () => (await processServices()).usageAnonymiser);
  for (const [name, handler] of Object.entries(activities)) registerActivity(name, handler);
  for (const [name, handler] of Object.entries(exportExpiryOrchestrators)) registerOrchestration(name, handler);
  for (const [name, handler] of Object.entries(exportExpiryActivities(async () => (await processServices()).exportExpiry))) registerActivity(name, handler);
  for (const [name, handler] of Object.entries(erasureOrchestrators)) registerOrchestration(name, handler);
  for (const [name, handler] of Object.entries(erasureActivities(async () => (await processServices()).erasures))) registerActivity(name, handler);
  for (const [name, handler] of Object.entries(leaverReportOrchestrators)) registerOrchestration(name, handler);
  for (const [name, handler] of Object.entries(leaverReportActivities(async () => (await processServices()).leaverReports))) registerActivity(name, handler);
  for (const job of Object.values(JOBS)) {
    app.timer(`${job.name}-timer`, {
      schedule: ncrontab(job.schedule),
      extraInputs: [durableClientInput()],
      handler: (_timer, invocation) =>
        withInvocation(invocation, async () => {
          await (await processServices()).jobs.startRun(job.name, {}, 'schedule');
        }),
    });
  }
  // Request logs buffered when the host shuts the worker down.
  app.hook.appTerminate(() => closeAllRequestLogs());
}
