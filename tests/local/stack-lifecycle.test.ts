import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevKeys, mintDevToken, type DevIssuerKeys } from '../../local/dev-issuer.js';
import { DEMO_MUNICIPALITY } from '../../local/demo-seed.js';
import { assertPortFree, AZURITE_ACCOUNT, AZURITE_KEY, COSMOS_EMULATOR_KEY, freePort } from '../../local/stack.js';

const START = fileURLToPath(new URL('../../local/start.ts', import.meta.url));
const TSX = fileURLToPath(import.meta.resolve('tsx/cli'));

interface RunningStack {
  child: ChildProcess;
  api: string;
  output: () => string;
}

/**
 * `npm start` as a newcomer runs it (its own emulators, in a working directory of its own), on
 * free ports so that it does not meet a stack someone else runs on this machine.
 */
let cwd: string;
let ports: { PORT: string; COSMOS_EMULATOR_PORT: string; AZURITE_PORT: string };
let keys: DevIssuerKeys;
let stack: RunningStack | undefined;

async function startStack(): Promise<RunningStack> {
  // The suite shares the machine with other files: a request may wait longer than the 5 s deadline allows (as in tests/support/test-app.ts).
  const env = { PATH: process.env.PATH ?? '', REQUEST_DEADLINE_MS: '30000', ...ports };
  const child = spawn(process.execPath, [TSX, START], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('Ctrl-C stops')) { clearInterval(timer); resolve(); }
      if (child.exitCode !== null) { clearInterval(timer); reject(new Error(`npm start exited:\n${output}`)); }
    }, 100);
  });
  return { child, api: `http://localhost:${ports.PORT}/api`, output: () => output };
}

async function stopStack(running: RunningStack, signal: NodeJS.Signals): Promise<number | null> {
  if (running.child.exitCode !== null) return running.child.exitCode;
  const exited = new Promise<number | null>((resolve) => running.child.once('exit', resolve));
  running.child.kill(signal);
  return exited;
}

async function call(method: string, path: string, subject: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${stack?.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${await mintDevToken(keys, subject)}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Every document of every database and every blob of every container the stack's emulators hold. */
async function everything(): Promise<{ documents: { where: string; text: string }[]; blobs: { where: string; text: string }[] }> {
  const cosmos = new CosmosClient({
    endpoint: `https://127.0.0.1:${ports.COSMOS_EMULATOR_PORT}`,
    key: COSMOS_EMULATOR_KEY,
    agent: new Agent({ rejectUnauthorized: false }),
  });
  const documents: { where: string; text: string }[] = [];
  const { resources: databases } = await cosmos.databases.readAll().fetchAll();
  for (const database of databases) {
    const { resources: containers } = await cosmos.database(database.id).containers.readAll().fetchAll();
    for (const container of containers) {
      const { resources } = await cosmos.database(database.id).container(container.id).items.query('SELECT * FROM c').fetchAll();
      for (const document of resources) documents.push({ where: `${database.id}/${container.id}/${String(document.id)}`, text: JSON.stringify(document) });
    }
  }
  cosmos.dispose();
  const blob = new BlobServiceClient(`http://127.0.0.1:${ports.AZURITE_PORT}/${AZURITE_ACCOUNT}`, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
  const blobs: { where: string; text: string }[] = [];
  for await (const container of blob.listContainers()) {
    const client = blob.getContainerClient(container.name);
    for await (const item of client.listBlobsFlat()) {
      const content = await client.getBlobClient(item.name).downloadToBuffer();
      blobs.push({ where: `${container.name}/${item.name}`, text: `${item.name}\n${content.toString('latin1')}` });
    }
  }
  return { documents, blobs };
}

/** A student of our own (not the demo's, which a fresh seed recreates), with an export in a blob, then erased. */
async function eraseASubject(canary: string): Promise<string> {
  const schools = await call('GET', `/municipalities/${DEMO_MUNICIPALITY}/schools?limit=10`, 'demo-municipality-admin');
  expect(schools.status).toBe(200);
  const schoolId = schools.body.items[0].id as string;
  const student = await call('POST', `/municipalities/${DEMO_MUNICIPALITY}/students`, 'demo-municipality-admin', {
    givenName: canary, familyName: 'Slettesen', birthDate: '2010-03-14', schoolId, yearLevel: 10, status: 'leaver', leftAt: '2026-06-19',
  });
  expect(student.status).toBe(201);
  const studentId = student.body.id as string;
  const exported = await call('POST', `/municipalities/${DEMO_MUNICIPALITY}/exports`, 'demo-data-admin', {
    subjectType: 'student', subjectId: studentId, format: 'json', recipient: 'controller',
  });
  expect(exported.status).toBe(201);
  // And an export of someone who stays: its blob must not outlive the index entry a restart forgets.
  const demoStudent = (await call('GET', `/municipalities/${DEMO_MUNICIPALITY}/students?limit=1`, 'demo-data-admin')).body.items[0].id as string;
  const kept = await call('POST', `/municipalities/${DEMO_MUNICIPALITY}/exports`, 'demo-data-admin', {
    subjectType: 'student', subjectId: demoStudent, format: 'csv', recipient: 'controller',
  });
  expect(kept.status).toBe(201);
  const { blobs: before } = await everything();
  expect(before.filter((blob) => blob.text.includes(studentId) || blob.text.includes(canary)).length).toBeGreaterThan(0);
  expect(before.some((blob) => blob.where.includes(kept.body.id))).toBe(true);
  const erasure = await call('DELETE', `/municipalities/${DEMO_MUNICIPALITY}/students/${studentId}?instructionReference=SAK-2026/12`, 'demo-data-admin');
  expect(erasure.status).toBe(202);
  await until('the erasure', async () => {
    const status = await call('GET', `/municipalities/${DEMO_MUNICIPALITY}/erasures/${erasure.body.id}`, 'demo-data-admin');
    return status.body.status === 'completed' ? true : undefined;
  });
  return studentId;
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'engage-start-'));
  // The blob directory of the former, persisting lifecycle: a start removes it.
  await mkdir(join(cwd, '.local', 'azurite'), { recursive: true });
  await writeFile(join(cwd, '.local', 'azurite', '__azurite_db_blob__.json'), '{}');
  ports = { PORT: String(await freePort()), COSMOS_EMULATOR_PORT: String(await freePort()), AZURITE_PORT: String(await freePort()) };
  keys = await loadOrCreateDevKeys(join(cwd, '.local'));
  stack = await startStack();
  expect(existsSync(join(cwd, '.local', 'azurite'))).toBe(false);
}, 180_000);

afterAll(async () => {
  if (stack) await stopStack(stack, 'SIGTERM');
  await rm(cwd, { recursive: true, force: true });
});

describe('npm start: one data lifecycle (Cosmos DB and blobs both start empty)', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`erase a subject, stop with ${signal}, start again: nothing of the subject comes back, and no blob without its index entry`, async () => {
      const canary = `Kanari${signal.slice(3)}`;
      const studentId = await eraseASubject(canary);
      expect(await stopStack(stack as RunningStack, signal)).toBe(0);
      for (const port of Object.values(ports)) await assertPortFree('stopped stack', Number(port), 'an emulator outlived npm start');
      stack = await startStack();
      expect(stack.output()).toContain(`Demo municipality ${DEMO_MUNICIPALITY} seeded`);
      const { documents, blobs } = await everything();
      const found = [...documents, ...blobs].filter(({ text }) => text.includes(studentId) || text.includes(canary)).map(({ where }) => where);
      expect(found).toEqual([]);
      // Every blob after a start is found through a document that names it.
      const indexed = documents.map(({ text }) => text).join('\n');
      expect(blobs.map(({ where }) => where).filter((where) => !indexed.includes(where.split('/').pop()?.split('.')[0] ?? where))).toEqual([]);
    }, 360_000);
  }

  it('an emulator that dies takes the whole stack down, so Cosmos DB never outlives its blobs', async () => {
    const running = stack as RunningStack;
    const exited = new Promise<number | null>((resolve) => running.child.once('exit', resolve));
    // The Azurite this test's npm start runs, found by its port.
    const { stdout } = await promisify(execFile)('pgrep', ['-f', `blobPort ${ports.AZURITE_PORT}`]);
    const pids = stdout.trim().split('\n').map(Number);
    expect(pids).toHaveLength(1);
    process.kill(pids[0] as number, 'SIGKILL');
    expect(await exited).toBe(1);
    expect(running.output()).toContain('azurite exited unexpectedly; stopping the stack');
    for (const port of Object.values(ports)) await assertPortFree('stopped stack', Number(port), 'an emulator outlived npm start');
    stack = undefined;
  }, 60_000);
});
