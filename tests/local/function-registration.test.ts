import functions from '@azure/functions';
import { describe, expect, it, vi } from 'vitest';
import { apiRoutes } from '../../functions/routes/index.js';
import { COSMOS_EMULATOR_KEY } from '../../local/stack.js';

describe('Azure Functions registration', () => {
  it('registers every non-local route once, anonymous (auth is in code), plus a problem+json catch-all; never the dev issuer', async () => {
    const registered: { name: string; methods?: string[]; route?: string; authLevel?: string }[] = [];
    vi.spyOn(functions.app, 'http').mockImplementation((name, options) => {
      registered.push({ name, methods: options.methods, route: options.route, authLevel: options.authLevel });
    });
    vi.stubEnv('ENGAGE_MODE', 'local');
    vi.stubEnv('COSMOS_ENDPOINT', 'https://127.0.0.1:1');
    vi.stubEnv('COSMOS_KEY', COSMOS_EMULATOR_KEY);
    vi.stubEnv('BLOB_ENDPOINT', 'http://127.0.0.1:1/devstoreaccount1');
    vi.stubEnv('BLOB_ACCOUNT_NAME', 'devstoreaccount1');
    vi.stubEnv('BLOB_ACCOUNT_KEY', 'key');
    await import('../../functions/index.js');

    const expected = apiRoutes().map((route) => ({ name: route.name, methods: [route.method], route: route.path.slice(1), authLevel: 'anonymous' }));
    expect(registered.slice(0, -1)).toEqual(expected);
    expect(registered.at(-1)).toMatchObject({ name: 'unmatched-route', route: '{*path}', authLevel: 'anonymous' });
    expect(registered.map((entry) => entry.route)).not.toContain('dev/token');
    expect(registered.map((entry) => entry.name)).not.toContain('dev-jwks');
    vi.unstubAllEnvs();
  });

  it('refuses to load with a bad configuration, naming the variables', async () => {
    vi.resetModules();
    vi.stubEnv('ENGAGE_MODE', 'azure');
    vi.stubEnv('COSMOS_ENDPOINT', '');
    await expect(import('../../functions/index.js')).rejects.toThrow(/COSMOS_ENDPOINT/);
    vi.unstubAllEnvs();
  });
});
