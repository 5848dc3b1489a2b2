import { request as httpsRequest, createServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Agent } from 'node:https';
import { CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { assertCosmosResidency, ResidencyError } from '../../lib/data/cosmos.js';

/**
 * The emulator reports its account in "South Central US". A TLS pass-through in front of
 * it can rewrite that one response to an EU location, so both outcomes of the real
 * `getDatabaseAccount` call are exercised over the real protocol.
 */
function startLocationRewritingProxy(target: string, location: string): Promise<{ endpoint: string; close: () => void }> {
  const certDir = dirname(createRequire(import.meta.url).resolve('@vercel/cosmosdb-server/package.json'));
  const server = createServer({ cert: readFileSync(join(certDir, 'cert.pem')), key: readFileSync(join(certDir, 'key.pem')) }, (req, res) => {
    const url = new URL(req.url ?? '/', target);
    const upstream = httpsRequest(url, { method: req.method, headers: { ...req.headers, host: url.host }, rejectUnauthorized: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        let body = Buffer.concat(chunks).toString('utf8');
        if (req.url === '/' || req.url === '') body = body.replaceAll('South Central US', location);
        const headers = { ...response.headers, 'content-length': String(Buffer.byteLength(body)) };
        res.writeHead(response.statusCode ?? 500, headers);
        res.end(body);
      });
    });
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() });
  }));
}

function client(endpoint: string): CosmosClient {
  return new CosmosClient({ endpoint, key: 'emulator', agent: new Agent({ rejectUnauthorized: false }), connectionPolicy: { enableEndpointDiscovery: false } });
}

describe('Cosmos DB residency check at start (P15)', () => {
  let proxy: { endpoint: string; close: () => void };
  beforeAll(async () => {
    proxy = await startLocationRewritingProxy(inject('cosmosEndpoint'), 'Norway East');
  });
  afterAll(() => proxy.close());

  it('refuses an account with a location outside the EU/EEA', async () => {
    const failure = await assertCosmosResidency(client(inject('cosmosEndpoint'))).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ResidencyError);
    expect((failure as ResidencyError).outside).toEqual(['South Central US']);
    expect((failure as Error).message).toMatch(/Refusing to serve/);
  });

  it('accepts an account whose read and write locations are all in the EU/EEA', async () => {
    await expect(assertCosmosResidency(client(proxy.endpoint))).resolves.toEqual(['Norway East']);
  });
});
