import { runMailingJob } from '../../lib/governance/governance.js';
import type { TimerDefinition } from './timer-definition.js';

/**
 * Finishes mailings (policy notices, newsletters) that work started after a request did not:
 * on Azure nothing runs after the response is sent, so this timer is what completes them.
 */
export const mailingTimer: TimerDefinition = {
  name: 'mailing',
  everyMinutes: 5,
  run: (services) => runMailingJob(services.governance),
};
