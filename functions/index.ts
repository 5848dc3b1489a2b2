// First, so the process's own async context is captured before any invocation (lib/app/process-context.ts).
import '../lib/app/process-context.js';
import functions from '@azure/functions';
import { functionRegistrations } from '../lib/app/function-registrations.js';
import { loadConfig } from '../lib/config/config.js';
import { FEATURE_MODULES, FUNCTION_MANIFEST } from './function-manifest.js';
import { registerActivity, registerOrchestration } from './lazy-durable.js';

// @azure/functions is a CommonJS bundle whose named exports Node's ESM loader cannot see.
const { app } = functions;

// A bad configuration fails here, when the host loads the app, listing every bad variable.
loadConfig(process.env);

const featureNamed = (name: string) => {
  const load = FEATURE_MODULES[name];
  return load ? load() : Promise.reject(new Error(`the manifest names no module for feature ${name}`));
};
// Services (and with them every SDK and feature) are built on the first invocation.
const services = () => import('../lib/runtime.js').then(({ processServices }) => processServices());

// Every function of every feature, from the generated manifest (scripts/function-manifest.ts):
// no feature module is imported until one of its functions first runs.
for (const registration of functionRegistrations(FUNCTION_MANIFEST, featureNamed, services)) {
  switch (registration.kind) {
    case 'http':
      if (registration.declaration?.localOnly) throw new Error(`route ${registration.name} is for the local host only`);
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
      registerOrchestration(registration.name, registration.orchestrator);
      break;
    case 'activity':
      registerActivity(registration.name, registration.handler);
      break;
  }
}

// Request logs buffered when the host shuts the worker down (none unless a request loaded the module).
app.hook.appTerminate(() => import('../lib/usage/request-log.js').then(({ closeAllRequestLogs }) => closeAllRequestLogs()));
