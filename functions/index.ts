import functions from '@azure/functions';
import { functionRegistrations } from '../lib/app/function-registrations.js';
import { loadConfig } from '../lib/config/config.js';
import { FEATURES } from '../lib/features.js';
import { processServices } from '../lib/runtime.js';
import { closeAllRequestLogs } from '../lib/usage/request-log.js';
import { registerActivity, registerOrchestration } from './lazy-durable.js';

// @azure/functions is a CommonJS bundle whose named exports Node's ESM loader cannot see.
const { app } = functions;

// A bad configuration fails here, when the host loads the app, listing every bad variable.
loadConfig(process.env);

// Every function of every feature (lib/features.ts); services are built on the first invocation.
for (const registration of functionRegistrations(FEATURES, processServices)) {
  switch (registration.kind) {
    case 'http':
      if (registration.definition?.localOnly) throw new Error(`route ${registration.name} is for the local host only`);
      app.http(registration.name, {
        methods: [...registration.methods] as functions.HttpMethod[],
        route: registration.route,
        authLevel: 'anonymous',
        extraInputs: registration.extraInputs,
        handler: registration.handler,
      });
      break;
    case 'timer':
      app.timer(registration.name, { schedule: registration.schedule, extraInputs: registration.extraInputs, handler: registration.handler });
      break;
    case 'orchestration':
      registerOrchestration(registration.name, registration.handler);
      break;
    case 'activity':
      registerActivity(registration.name, registration.handler);
      break;
  }
}

// Request logs buffered when the host shuts the worker down.
app.hook.appTerminate(() => closeAllRequestLogs());
