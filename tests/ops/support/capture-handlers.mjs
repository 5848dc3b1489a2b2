// Preloaded with `node --import`: keeps the handler of every function an entry module registers
// (app.http, app.timer, app.generic) in `globalThis.capturedHandlers`, so a process can call one
// as the Functions host would, without a Functions host.
import { createRequire } from 'node:module';

const require = createRequire(`${process.cwd()}/package.json`);
const { app } = require('@azure/functions');
globalThis.capturedHandlers = new Map();
const capture = (name, options) => globalThis.capturedHandlers.set(name, options.handler);
app.http = capture;
app.timer = capture;
app.generic = capture;
app.hook.appTerminate = () => undefined;
