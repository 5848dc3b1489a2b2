import type { Services } from '../../lib/services.js';

/** A scheduled function: registered with `app.timer` in Azure; a local scheduler can run the same list. */
export interface TimerDefinition {
  name: string;
  /** NCRONTAB with seconds, as Azure Functions timer triggers take it. */
  schedule: string;
  run(services: Services): Promise<void>;
}
