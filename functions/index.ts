import functions, { type HttpMethod as FunctionsHttpMethod } from '@azure/functions';
import { loadConfig } from '../lib/config/config.js';
import { dispatch } from '../lib/http/dispatcher.js';
import { unmatchedResponse } from '../lib/http/fallback.js';
import { Router } from '../lib/http/router.js';
import { processServices } from '../lib/runtime.js';
import { durableClientInputs, registerJobFunctions } from './jobs/index.js';
import { apiRoutes } from './routes/index.js';
import { registerTimers } from './timers/index.js';

// @azure/functions is a CommonJS bundle whose named exports Node's ESM loader cannot see.
const { app } = functions;

// A bad configuration fails here, when the host loads the app, listing every bad variable.
loadConfig(process.env);

registerTimers();
registerJobFunctions();

const routes = apiRoutes().filter((route) => !route.localOnly);
const router = new Router(routes);

for (const route of routes) {
  app.http(route.name, {
    methods: [route.method],
    route: route.path.slice(1),
    authLevel: 'anonymous',
    ...durableClientInputs(route),
    handler: (request) => dispatch(route, request, { services: processServices }),
  });
}

// Lowest-precedence catch-all so unknown routes and wrong methods get problem+json too.
app.http('unmatched-route', {
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] satisfies FunctionsHttpMethod[],
  route: '{*path}',
  authLevel: 'anonymous',
  handler: async (request) => {
    const path = new URL(request.url).pathname.replace(/^\/api/, '');
    return unmatchedResponse(router, request.method, path);
  },
});
