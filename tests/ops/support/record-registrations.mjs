// Preloaded with `node --import`: replaces the registration calls of @azure/functions
// (app.http, app.timer, app.generic) with a recorder, so a parent process sees exactly what
// an entry module registers (names, triggers, bindings) without a Functions host. Printed
// as JSON on exit.
import { createRequire } from 'node:module';

const require = createRequire(`${process.cwd()}/package.json`);
const { app } = require('@azure/functions');
const recorded = [];
const bindings = (list) => (list ?? []).map(({ type, name }) => ({ type, name }));

app.http = (name, options) =>
  recorded.push({
    name,
    trigger: { type: 'httpTrigger', methods: options.methods ?? ['GET', 'POST'], route: options.route, authLevel: options.authLevel ?? 'function' },
    extraInputs: bindings(options.extraInputs),
  });
app.timer = (name, options) => recorded.push({ name, trigger: { type: 'timerTrigger', schedule: options.schedule }, extraInputs: bindings(options.extraInputs) });
app.generic = (name, options) => recorded.push({ name, trigger: { ...options.trigger }, extraInputs: bindings(options.extraInputs) });
app.hook.appTerminate = () => undefined;

process.on('exit', () => {
  process.stdout.write(`\nREGISTRATIONS ${JSON.stringify(recorded)}\n`);
});
