import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The well-known, public key of the Cosmos DB emulator; cosmosdb-server accepts any key. */
export const COSMOS_EMULATOR_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU9DLYG9Nba2FwIIOOUy2aoHjtgn4U8jrGoH5mwJM1czwHZ6A==';
/** Azurite's well-known development account. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export class PortInUseError extends Error {
  constructor(readonly service: string, readonly port: number, hint: string) {
    super(`${service}: port ${port} is already in use. ${hint}`);
    this.name = 'PortInUseError';
  }
}

export interface ChildService {
  name: string;
  endpoint: string;
  /** Settles when the process has exited, for whatever reason. */
  exited: Promise<void>;
  stop(): Promise<void>;
}

const exitOf = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function assertPortFree(service: string, port: number, hint: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(service, port, hint) : error));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

async function waitForPort(port: number, child: ChildProcess, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} while starting`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} did not open port ${port} within ${timeoutMs} ms`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => { clearTimeout(timer); resolve(); });
      child.kill('SIGTERM');
    });
}

function startChild(name: string, args: string[], quiet: boolean): ChildProcess {
  const child = spawn(process.execPath, args, { stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => { if (!quiet) process.stderr.write(`[${name}] ${chunk.toString()}`); });
  return child;
}

export const cosmosEmulatorEndpoint = (port: number): string => `https://127.0.0.1:${port}`;
export const azuriteEndpoint = (port: number): string => `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;

export async function startCosmosEmulator(port: number, quiet = false): Promise<ChildService> {
  await assertPortFree('Cosmos DB emulator', port, 'Stop what uses it (another npm start?); for npm start, set COSMOS_EMULATOR_PORT, or COSMOS_ENDPOINT and BLOB_ENDPOINT to use emulators already running.');
  const child = startChild('cosmos', [join(here, 'cosmos-emulator-server.mjs'), String(port)], quiet);
  await waitForPort(port, child, 'cosmos emulator');
  return { name: 'cosmos', endpoint: cosmosEmulatorEndpoint(port), exited: exitOf(child), stop: stopper(child) };
}

/**
 * Where Azurite keeps its data: a directory, or `in-memory` (gone when it stops), which is
 * how `npm start` and `npm run host-stack` run it, like the Cosmos DB emulator: both stores
 * start empty together, so no blob outlives the index entries that found it.
 */
export type AzuriteStorage = string | 'in-memory';

export async function startAzurite(port: number, location: AzuriteStorage, quiet = false): Promise<ChildService> {
  await assertPortFree('Azurite blob', port, 'Stop what uses it (another npm start?); for npm start, set AZURITE_PORT, or COSMOS_ENDPOINT and BLOB_ENDPOINT to use emulators already running.');
  return runAzurite(join('blob', 'main.js'), { blob: port }, location, quiet);
}

/**
 * Azurite with all three services (blob, queue, table) on their default ports: what the
 * Functions host itself needs for `AzureWebJobsStorage=UseDevelopmentStorage=true` (timers,
 * the Durable Functions task hub), with the app's blobs on the same account.
 */
export async function startAzuriteForHost(location: AzuriteStorage, quiet = false): Promise<ChildService> {
  const ports = { blob: 10000, queue: 10001, table: 10002 };
  for (const [service, port] of Object.entries(ports)) {
    await assertPortFree(`Azurite ${service}`, port, 'Stop what uses it (an `npm start` already running?).');
  }
  return runAzurite('azurite.js', ports, location, quiet);
}

/** Azurite's entry (`dist/src/<entry>`) serving the given services on their ports. */
async function runAzurite(entry: string, ports: { blob: number; queue?: number; table?: number }, location: AzuriteStorage, quiet: boolean): Promise<ChildService> {
  if (location !== 'in-memory') await mkdir(location, { recursive: true });
  const storage = location === 'in-memory' ? ['--inMemoryPersistence'] : ['--location', location];
  const main = join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', entry);
  const services = Object.entries(ports).flatMap(([service, port]) => [`--${service}Host`, '127.0.0.1', `--${service}Port`, String(port)]);
  const child = startChild('azurite', ['--import', pathToFileURL(join(here, 'azurite-lokijs-patch.mjs')).href, main, ...services, ...storage, '--skipApiVersionCheck', '--disableTelemetry', '--silent', '--loose'], quiet);
  for (const port of Object.values(ports)) await waitForPort(port, child, 'azurite');
  return { name: 'azurite', endpoint: azuriteEndpoint(ports.blob), exited: exitOf(child), stop: stopper(child) };
}

/**
 * The emulators an entry point starts, as one stack: Ctrl-C or SIGTERM stops them all, and so
 * does any one of them exiting on its own. Their data is in memory, so one left running would
 * hold half of a whole (documents whose blobs are gone, or blobs whose documents are).
 */
export class EmulatorStack {
  private readonly children: ChildService[] = [];
  private stopping = false;

  /** `exitedMessage`: what to tell the developer when `child` exits on its own. */
  constructor(private readonly exitedMessage: (child: ChildService) => string) {
    process.on('SIGINT', () => void this.stop(0));
    process.on('SIGTERM', () => void this.stop(0));
  }

  /** How many emulators the stack started (none when the developer runs their own). */
  get size(): number {
    return this.children.length;
  }

  /** Takes a started emulator into the stack. */
  async add(starting: Promise<ChildService>): Promise<ChildService> {
    const child = await starting;
    this.children.push(child);
    void child.exited.then(() => {
      if (this.stopping) return;
      console.error(this.exitedMessage(child));
      void this.stop(1);
    });
    return child;
  }

  /** Stops every emulator, then the process with `code`; a second call does nothing. */
  async stop(code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await Promise.all(this.children.map((child) => child.stop()));
    process.exit(code);
  }
}
