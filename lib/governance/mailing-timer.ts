import { defineTimer } from '../app/feature.js';
import { runMailingJob } from './governance.js';

/**
 * Finishes mailings (policy notices, newsletters) that work started after a request did not:
 * on Azure nothing runs after the response is sent, so this timer is what completes them.
 */
export const mailingTimer = defineTimer({
  name: 'mailing',
  schedule: { everyMinutes: 5 },
  uses: ['governance'],
  run: (services) => runMailingJob(services.governance),
});
