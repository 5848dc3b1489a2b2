import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config/config.js';
import { AZURE_MODE_UNDER_NPM_START, loadLocalStackConfig } from '../../lib/config/local-stack-config.js';
import { localEnvironment } from '../../local/local-app.js';
import { azuriteEndpoint, cosmosEmulatorEndpoint } from '../../local/stack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What `npm start` checks, with the app configured as the stack would configure it. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadLocalStackConfig(env, (stack) =>
      localEnvironment({ cosmosEndpoint: stack.cosmosEndpoint ?? cosmosEmulatorEndpoint(8081), blobEndpoint: stack.blobEndpoint ?? azuriteEndpoint(10000), env }));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the configuration to be refused');
}

describe('npm start configuration', () => {
  it('an empty environment is a valid local stack on port 7071', () => {
    const { settings, app } = loadLocalStackConfig({}, () => localEnvironment({ cosmosEndpoint: cosmosEmulatorEndpoint(8081), blobEndpoint: azuriteEndpoint(10000), env: {} }));
    expect(settings).toEqual({ port: 7071, cosmosEmulatorPort: 8081, azuritePort: 10000, cosmosEndpoint: undefined, blobEndpoint: undefined });
    expect(app.mode).toBe('local');
  });

  it('OIDC_ISSUERS that is not JSON is named, its value not echoed', () => {
    expect(problemsOf({ OIDC_ISSUERS: 'not-json' })).toEqual(['OIDC_ISSUERS: must be a JSON array']);
  });

  it('PLATFORM_OPERATORS that is not JSON, or has a broken entry, is named', () => {
    expect(problemsOf({ PLATFORM_OPERATORS: '{oops' })).toEqual(['PLATFORM_OPERATORS: must be a JSON array']);
    expect(problemsOf({ PLATFORM_OPERATORS: '[{"issuer":"x","subject":"y"}]' })).toEqual(['PLATFORM_OPERATORS: 0.issuer: Invalid URL']);
  });

  it('PORT must be a port number', () => {
    for (const port of ['abc', '70000', '0', '-1', '80.5']) expect(problemsOf({ PORT: port })).toEqual(['PORT: must be a port number (1-65535)']);
    expect(loadLocalStackConfig({ PORT: '7080' }, () => localEnvironment({ cosmosEndpoint: cosmosEmulatorEndpoint(8081), blobEndpoint: azuriteEndpoint(10000), env: {} })).settings.port).toBe(7080);
  });

  it('ENGAGE_MODE=azure says npm start is the local stack and how to run azure mode, blaming no key npm start sets itself', () => {
    expect(problemsOf({ ENGAGE_MODE: 'azure' })).toEqual([`ENGAGE_MODE: ${AZURE_MODE_UNDER_NPM_START}`]);
    expect(AZURE_MODE_UNDER_NPM_START).toMatch(/npm run host-stack.*func start.*azd up/);
  });

  it('endpoints of running emulators must be URLs', () => {
    expect(problemsOf({ COSMOS_ENDPOINT: 'localhost 8081', BLOB_ENDPOINT: 'nope' })).toEqual(['BLOB_ENDPOINT: Invalid URL', 'COSMOS_ENDPOINT: Invalid URL']);
  });

  it('emulators of your own are both or neither: one lifecycle for Cosmos DB and blobs', () => {
    expect(problemsOf({ COSMOS_ENDPOINT: 'https://127.0.0.1:9081' })).toEqual([
      "BLOB_ENDPOINT: must be set too when COSMOS_ENDPOINT is: use emulators of your own for both, or for neither (npm start's own start empty each time)",
    ]);
    expect(problemsOf({ BLOB_ENDPOINT: 'http://127.0.0.1:20000/devstoreaccount1' })[0]).toMatch(/^COSMOS_ENDPOINT: must be set too when BLOB_ENDPOINT is/);
  });

  it('the ports of the emulators npm start runs are port numbers', () => {
    expect(problemsOf({ COSMOS_EMULATOR_PORT: 'x', AZURITE_PORT: '100000' })).toEqual(['AZURITE_PORT: must be a port number (1-65535)', 'COSMOS_EMULATOR_PORT: must be a port number (1-65535)']);
  });

  it('settings of the app are checked too, all bad variables in one message, no value echoed', () => {
    const secret = 's3cr3t-not-json';
    const problems = problemsOf({ OIDC_ISSUERS: secret, PORT: 'abc', ENGAGE_MODE: 'azure', MAX_BODY_BYTES: 'lots' });
    expect(problems.map((line) => line.split(':')[0])).toEqual(['ENGAGE_MODE', 'MAX_BODY_BYTES', 'OIDC_ISSUERS', 'PORT']);
    expect(problems.join('\n')).not.toContain(secret);
  });

  it('npm start refuses a bad configuration before it starts any emulator, in one message', async () => {
    // Held ports: an emulator started before the check would fail with "port in use" instead.
    const held = await Promise.all([8081, 10000].map(holdPort));
    try {
      const { code, stderr } = await runStart({ OIDC_ISSUERS: 's3cr3t-not-json', PORT: 'abc', ENGAGE_MODE: 'azure' });
      expect(code).toBe(1);
      expect(stderr).toContain('Invalid configuration; refusing to start:');
      for (const variable of ['ENGAGE_MODE', 'OIDC_ISSUERS', 'PORT']) expect(stderr).toMatch(new RegExp(`^  - ${variable}: `, 'm'));
      expect(stderr).not.toMatch(/in use|COSMOS_KEY|BLOB_ACCOUNT_KEY|s3cr3t/);
    } finally {
      for (const server of held) server?.close();
    }
  });
});

/** Listens on the port if it is free; a port someone else already uses is held just as well. */
async function holdPort(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function runStart(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.resolve('tsx/cli')), 'local/start.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}
