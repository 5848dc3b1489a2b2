import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { featureJobs, type JobDefinition } from '../lib/app/feature.js';
import { FEATURES } from '../lib/features.js';
import type { JobRunView } from '../lib/jobs/job-runs.js';
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
  const total = run.processed + run.remaining;
  const ratio = total === 0 ? (run.status === 'completed' ? 1 : 0) : run.processed / total;
  const filled = Math.round(ratio * BAR_WIDTH);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
  const overdue = run.overdue ? `, ${run.overdue} OVERDUE` : '';
  const unit = JOBS.find((job) => job.name === run.job)?.unit ?? { one: 'unit', many: 'units' };
  return `[${bar}] ${Math.round(ratio * 100)}% ${run.processed}/${total} ${total === 1 ? unit.one : unit.many}, ${run.records} records, ${run.failures} failures${overdue} (${run.status})`;
}

async function problemText(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const problem = JSON.parse(text) as { title?: string; detail?: string; errors?: { field: string; message: string }[] };
    const errors = (problem.errors ?? []).map((error) => `\n  ${error.field}: ${error.message}`).join('');
    return `${response.status} ${problem.title ?? ''}: ${problem.detail ?? ''}${errors}`;
  } catch {
    return `${response.status} ${text.slice(0, 200)}`;
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'as-of': { type: 'string' }, 'dry-run': { type: 'boolean' }, url: { type: 'string' }, help: { type: 'boolean' } },
  });
  const job = positionals[0];
  if (!job || values.help || positionals.length > 1) {
    console.error(USAGE);
    process.exit(2);
  }
  if (!JOBS.some((definition) => definition.name === job)) {
    console.error(`no job "${job}"; the jobs are: ${JOBS.map((definition) => definition.name).join(', ')}`);
    process.exit(2);
  }
  // The same dev-issuer keys the local host (npm start) trusts, kept in .local/.
  const keys = await loadOrCreateDevKeys(join(process.cwd(), '.local'));
  const baseUrl = values.url ?? `http://127.0.0.1:${process.env.PORT ?? 7071}/api`;
  try {
    const run = await runJob({ baseUrl, token: await mintDevToken(keys, DEV_OPERATOR_SUBJECT), job, asOf: values['as-of'], dryRun: values['dry-run'] ?? false });
    process.exit(run.status === 'completed' ? 0 : 1);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.error(`job not run: ${reason}${/fetch failed/.test(reason) ? ` (is the local host running? npm start, then retry; it listens on ${baseUrl})` : ''}`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
