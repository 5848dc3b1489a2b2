import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The async context of the process before any invocation: no request's deadline, operation
 * count, Functions invocation or trace. Work that serves several requests and belongs to none
 * (the audit log's group write) runs in it. Captured when this module is evaluated, so every
 * host imports it before it serves (functions/index.ts; the local host loads the feature list,
 * and with it the audit log, at start): feature modules load on their first invocation, and a
 * module first evaluated inside an invocation would capture that invocation's context instead.
 */
export const outsideRequests = AsyncLocalStorage.snapshot();
