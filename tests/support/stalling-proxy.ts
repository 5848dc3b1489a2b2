import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the Cosmos DB emulator that can stall it on purpose: while
 * stalled, everything the app sends still reaches the database (its writes happen), but the
 * answers are held back until `resume`. That is what a database stall looks like from the
 * app: requests in flight, no responses. TLS passes through untouched.
 */
export interface StallingProxy {
  endpoint: string;
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startStallingProxy(upstream: string): Promise<StallingProxy> {
  const target = new URL(upstream);
  let stalled = false;
  const held: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const database = createConnection({ host: target.hostname, port: Number(target.port) });
    sockets.add(client).add(database);
    client.on('data', (chunk) => database.write(chunk));
    database.on('data', (chunk) => {
      if (stalled) held.push(() => client.write(chunk));
      else client.write(chunk);
    });
    const closeBoth = () => {
      client.destroy();
      database.destroy();
      sockets.delete(client);
      sockets.delete(database);
    };
    client.on('close', closeBoth).on('error', closeBoth);
    database.on('close', closeBoth).on('error', closeBoth);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `${target.protocol}//127.0.0.1:${port}/`,
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      for (const release of held.splice(0)) release();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
