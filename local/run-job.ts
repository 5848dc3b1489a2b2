import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { featureJobs, type JobDefinition } from '../lib/app/feature.js';
import { FEATURES } from '../lib/features.js';
import type { JobRunView } from '../lib/jobs/job-runs.js';
import { localStackSettings } from '../lib/config/local-stack-config.js';
import { DEV_OPERATOR_SUBJECT, loadOrCreateDevKeys, mintDevToken } from './dev-issuer.js';

/** The jobs of the app, as the hosts register them: the CLI names them and counts in their units. */
const JOBS: readonly JobDefinition[] = featureJobs(FEATURES);
const USAGE = `usage: npm run job -- <job> [--as-of YYYY-MM-DD] [--dry-run] [--url http://127.0.0.1:7071/api]
  jobs: ${JOBS.map((job) => job.name).join(', ')}
  e.g. npm run job -- usage-anonymisation --dry-run`;
const BAR_WIDTH = 30;

export interface RunJobOptions {
  baseUrl: string;
  token: string;
  job: string;
  asOf?: string | undefined;
  dryRun?: boolean;
  pollMs?: number;
  write?: (text: string) => void;
}

/**
 * Starts a job run on a running local host (`POST /api/operations/jobs/{job}/runs`, as ops would in
 * Azure) and follows it to the end with a progress bar. Resolves with the finished run.
 */
export async function runJob(options: RunJobOptions): Promise<JobRunView> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const headers = { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' };
  const body = { ...(options.asOf ? { asOf: options.asOf } : {}), ...(options.dryRun ? { dryRun: true } : {}) };
  const started = await fetch(`${options.baseUrl}/operations/jobs/${encodeURIComponent(options.job)}/runs`, { method: 'POST', headers, body: JSON.stringify(body) });
  if (started.status !== 202) throw new Error(await problemText(started));
  const { id } = (await started.json()) as { id: string };
  write(`${options.job} run ${id}${options.dryRun ? ' (dry run)' : ''}${options.asOf ? ` as of ${options.asOf}` : ''}\n`);
  for (;;) {
    const response = await fetch(`${options.baseUrl}/operations/jobs/${encodeURIComponent(options.job)}/runs/${id}`, { headers });
    if (response.status !== 200) throw new Error(await problemText(response));
    const run = (await response.json()) as JobRunView;
    write(`\r${progressLine(run)}`);
    if (run.status === 'completed' || run.status === 'failed') {
      write('\n');
      return run;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}

export function progressLine(run: JobRunView): string {
  const unit = unitOf(run.job);
  // A dry run changes nothing: it counts what is due, so a bar of work done would say 0%.
  if (run.dryRun) {
    const due = `${run.remaining} ${run.remaining === 1 ? unit.one : unit.many}`;
    if (run.status === 'completed') return `dry run completed: would process ${due}; nothing was changed (run without --dry-run to do it)`;
    if (run.status === 'failed') return `dry run failed after counting ${due} (${run.failures} failures)`;
    return `dry run: counting what is due, ${due} so far (${run.status})`;
  }
  const total = run.processed + run.remaining;
  const ratio = total === 0 ? (run.status === 'completed' ? 1 : 0) : run.processed / total;
  const filled = Math.round(ratio * BAR_WIDTH);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
  const overdue = run.overdue ? `, ${run.overdue} OVERDUE` : '';
  return `[${bar}] ${Math.round(ratio * 100)}% ${run.processed}/${total} ${total === 1 ? unit.one : unit.many}, ${run.records} records, ${run.failures} failures${overdue} (${run.status})`;
}

/** The unit a job declares for what it counts (lib/app/feature.ts). */
function unitOf(job: string): { one: string; many: string } {
  return JOBS.find((definition) => definition.name === job)?.unit ?? { one: 'unit', many: 'units' };
}

/** The CLI's flags for the request's fields, so that a refusal names what the user typed. */
const FLAG_OF_FIELD: Record<string, string> = { 'body/asOf': '--as-of', 'body/dryRun': '--dry-run' };

async function problemText(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const problem = JSON.parse(text) as { title?: string; detail?: string; errors?: { field: string; message: string }[] };
    const errors = (problem.errors ?? []).map((error) => `\n  ${FLAG_OF_FIELD[error.field] ?? error.field}: ${error.message}`).join('');
    return `${response.status} ${problem.title ?? ''}: ${problem.detail ?? ''}${errors}`;
  } catch {
    return `${response.status} ${text.slice(0, 200)}`;
  }
}

export type JobCommand =
  | { kind: 'run'; job: string; asOf: string | undefined; dryRun: boolean; url: string | undefined }
  | { kind: 'refused'; message: string };

/** A calendar date as YYYY-MM-DD that exists (2027-02-30 does not). */
function isCalendarDate(value: string): boolean {
  const date = new Date(`${value}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/** The command line, read and checked before anything is sent: each refusal says what to type instead. */
export function parseJobCommand(argv: string[]): JobCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { 'as-of': { type: 'string' }, 'dry-run': { type: 'boolean' }, url: { type: 'string' }, help: { type: 'boolean' } },
    });
  } catch (error) {
    return { kind: 'refused', message: `${error instanceof Error ? error.message : String(error)}\n${USAGE}` };
  }
  const { values, positionals } = parsed;
  const job = positionals[0];
  if (!job || values.help || positionals.length > 1) return { kind: 'refused', message: USAGE };
  if (!JOBS.some((definition) => definition.name === job)) {
    return { kind: 'refused', message: `no job "${job}"; the jobs are: ${JOBS.map((definition) => definition.name).join(', ')}\n${USAGE}` };
  }
  const asOf = values['as-of'];
  if (asOf !== undefined && !isCalendarDate(asOf)) {
    return { kind: 'refused', message: '--as-of must be a date written YYYY-MM-DD, e.g. --as-of 2027-01-01' };
  }
  return { kind: 'run', job, asOf, dryRun: values['dry-run'] ?? false, url: values.url };
}

async function main(): Promise<void> {
  const command = parseJobCommand(process.argv.slice(2));
  if (command.kind === 'refused') {
    console.error(command.message);
    process.exit(2);
  }
  let port: number;
  try {
    port = localStackSettings(process.env).port;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  // The same dev-issuer keys the local host (npm start) trusts, kept in .local/.
  const keys = await loadOrCreateDevKeys(join(process.cwd(), '.local'));
  const baseUrl = command.url ?? `http://127.0.0.1:${port}/api`;
  try {
    const run = await runJob({ baseUrl, token: await mintDevToken(keys, DEV_OPERATOR_SUBJECT), job: command.job, asOf: command.asOf, dryRun: command.dryRun });
    process.exit(run.status === 'completed' ? 0 : 1);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.error(`job not run: ${reason}${/fetch failed/.test(reason) ? ` (is the local host running? npm start, then retry; it listens on ${baseUrl})` : ''}`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
