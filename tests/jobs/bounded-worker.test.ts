import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInWorker, WorkerOutOfMemory, WorkerTaskFailed } from '../../lib/jobs/bounded-worker.js';

const task = (name: string) => new URL(`./support/${name}.ts`, import.meta.url);
const HEAP = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 };

/** Whether this process has `file` open (the worker's descriptors are the process's). */
const isOpen = (file: string) =>
  readdirSync('/proc/self/fd').some((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  });

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'bounded-worker-'));
});
afterAll(() => rm(directory, { recursive: true, force: true }));

describe('a task in a bounded worker thread', () => {
  it('runs in a worker thread of its own and answers with its value', async () => {
    await expect(runInWorker(task('echo-task'), { rows: [1, 2, 3] }, HEAP)).resolves.toEqual({ echoed: { rows: [1, 2, 3] }, inMainThread: false });
  });

  it("rejects with the task's error, keeping the status an Azure SDK error carried (so a 503 is still told from a bug)", async () => {
    const failed = await runInWorker(task('failing-task'), {}, HEAP).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(WorkerTaskFailed);
    expect(failed).toMatchObject({ taskError: 'RestError', message: 'The server is busy.', statusCode: 503, code: 'ServerBusy' });
  });

  it('a task that outgrows its heap rejects with WorkerOutOfMemory, the process goes on, and the files it had open are closed', async () => {
    const file = join(directory, 'held-open');
    const failed = await runInWorker(task('hungry-task'), { file }, { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(WorkerOutOfMemory);
    expect(existsSync(file)).toBe(true);
    expect(isOpen(file)).toBe(false);
    // The thread that served it is fine: another task runs.
    await expect(runInWorker(task('echo-task'), 'again', HEAP)).resolves.toMatchObject({ echoed: 'again' });
  });
});
