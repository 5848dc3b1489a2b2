/**
 * Writes infra/app/retention-jobs.json: the name of every job the app declares
 * (lib/features.ts), which the retention heartbeat alert expects a completion of every
 * 26 hours: the alert's job list is derived from the declarations, and tests/infra fails,
 * naming this script, when the committed file and the declarations differ. (Not part of
 * scripts/bicep-build.sh: loading every feature would multiply the build's time.)
 *
 *   npx tsx scripts/retention-jobs.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { featureJobs } from '../lib/app/feature.js';
import { FEATURES } from '../lib/features.js';

const file = fileURLToPath(new URL('../infra/app/retention-jobs.json', import.meta.url));
const text = `${JSON.stringify(featureJobs(FEATURES).map((job) => job.name), null, 2)}\n`;
if (readFileSync(file, 'utf8') !== text) {
  writeFileSync(file, text);
  console.error(`[retention-jobs] wrote ${text.trim().replace(/\s+/g, ' ')} to infra/app/retention-jobs.json: commit it`);
}
