import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { DEV_OPERATOR_SUBJECT, mintDevToken, type DevIssuerKeys } from '../../local/dev-issuer.js';
import type { KillPoint } from './app-child.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface AppProcess {
  url: string;
  /** Resolves with the kill point once the process has died at it (or with null if it exited otherwise). */
  died: Promise<string | null>;
  request<T = any>(method: string, path: string, options?: { token?: string; body?: unknown }): Promise<{ status: number; body: T }>;
  operatorToken(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The local app in a child process on the run's emulators and the given database: one the
 * test can kill at a point (`kill`) and replace with a fresh one on the same data.
 */
export async function startAppProcess(options: { database: string; keys: DevIssuerKeys; kill?: KillPoint; env?: Record<string, string> }): Promise<AppProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(root, 'tests', 'support', 'app-child.ts')], {
    cwd: root,
    env: {
      ...process.env,
      ...options.env,
      COSMOS_ENDPOINT: inject('cosmosEndpoint'),
      BLOB_ENDPOINT: inject('blobEndpoint'),
      COSMOS_DATABASE: options.database,
      ENGAGE_TEST_DEV_KEYS: JSON.stringify(options.keys),
      ...(options.kill ? { ENGAGE_TEST_KILL: JSON.stringify(options.kill) } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  let killedAt: string | null = null;
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.startsWith('READY ')) resolve(line.slice('READY '.length));
      if (line.startsWith('KILLED ')) killedAt = line.slice('KILLED '.length);
    });
    child.once('exit', (code, signal) => reject(new Error(`app process exited (${code ?? signal}) before it was ready:\n${stderr.join('').slice(-2000)}`)));
  });
  const died = new Promise<string | null>((resolve) => child.once('exit', () => resolve(killedAt)));
  return {
    url,
    died,
    async request(method, path, requestOptions = {}) {
      const headers: Record<string, string> = {};
      if (requestOptions.token) headers.authorization = `Bearer ${requestOptions.token}`;
      if (requestOptions.body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${url}${path}`, { method, headers, ...(requestOptions.body === undefined ? {} : { body: JSON.stringify(requestOptions.body) }) });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as never };
    },
    operatorToken: () => mintDevToken(options.keys, DEV_OPERATOR_SUBJECT),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await died;
    },
  };
}
