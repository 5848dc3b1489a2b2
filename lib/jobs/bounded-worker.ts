import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

/** The V8 heap a worker may use (`resourceLimits`); memory outside it (typed arrays' buffers, files) is not counted. */
export interface WorkerHeap {
  maxOldGenerationSizeMb: number;
  maxYoungGenerationSizeMb: number;
}

/** The worker outgrew its heap: the work is too large for it, and running it again will not help. */
export class WorkerOutOfMemory extends Error {
  constructor(readonly heap: WorkerHeap) {
    super(`the worker outgrew its heap of ${heap.maxOldGenerationSizeMb} MiB`);
    this.name = 'WorkerOutOfMemory';
  }
}

/** The task threw in the worker: its error's name and message, and the status an Azure SDK error carried. */
export class WorkerTaskFailed extends Error {
  constructor(
    readonly taskError: string,
    message: string,
    readonly statusCode?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'WorkerTaskFailed';
  }
}

interface TaskError {
  name: string;
  message: string;
  statusCode?: number;
  code?: string;
}

type Outcome = { value: unknown } | { error: TaskError };

/**
 * Runs `script`'s task (`serveTask`) in a worker thread with a heap of its own, bounded by
 * `heap`: what the task leaves for the garbage collector is collected within that bound
 * instead of growing the process that serves the API. Resolves with the task's value, rejects
 * with `WorkerTaskFailed` (the task threw) or `WorkerOutOfMemory`. A TypeScript script (the
 * tests, the local host run by tsx) is loaded through tsx; the bundle's is JavaScript.
 */
export function runInWorker<T>(script: URL, input: unknown, heap: WorkerHeap): Promise<T> {
  const worker = new Worker(script, {
    workerData: input,
    resourceLimits: { ...heap },
    execArgv: script.pathname.endsWith('.ts') ? ['--import', tsxLoader()] : [],
    // The default, said: the raw descriptors of a task's temporary files are closed when its worker ends, also when its heap ran out.
    trackUnmanagedFds: true,
  });
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    worker.once('message', (outcome: Outcome) => {
      settle(() => ('value' in outcome ? resolve(outcome.value as T) : reject(taskFailure(outcome.error))));
      // Its clients' keep-alive sockets would hold it open: the answer is all it had to give.
      void worker.terminate();
    });
    worker.once('error', (error: Error & { code?: string }) => {
      settle(() => reject(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new WorkerOutOfMemory(heap) : error));
    });
    worker.once('exit', (code) => {
      settle(() => reject(new Error(`the worker stopped (exit code ${code}) without an answer`)));
    });
  });
}

/** tsx's loader beside this module, not wherever the process was started (`npm start` may run in any directory). */
function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

function taskFailure(error: TaskError): WorkerTaskFailed {
  return new WorkerTaskFailed(error.name, error.message, error.statusCode, error.code);
}

/** The worker's side: runs `task` on the input `runInWorker` gave and posts its value or error. */
export function serveTask<I>(task: (input: I) => Promise<unknown>): void {
  if (isMainThread || !parentPort) throw new Error('serveTask runs in a worker started by runInWorker');
  const port = parentPort;
  task(workerData as I).then(
    (value) => port.postMessage({ value } satisfies Outcome),
    (error: unknown) => port.postMessage({ error: describe(error) } satisfies Outcome),
  );
}

function describe(error: unknown): TaskError {
  const { name = 'Error', message = String(error), statusCode, code } = (typeof error === 'object' && error !== null ? error : {}) as Partial<TaskError> & { statusCode?: unknown; code?: unknown };
  return { name, message, ...(typeof statusCode === 'number' ? { statusCode } : {}), ...(typeof code === 'string' ? { code } : {}) };
}
