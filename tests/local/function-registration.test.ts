import { describe, expect, it, vi } from 'vitest';

describe('Azure Functions entry', () => {
  it('refuses to load with a bad configuration, naming the variables', async () => {
    vi.resetModules();
    vi.stubEnv('ENGAGE_MODE', 'azure');
    vi.stubEnv('COSMOS_ENDPOINT', '');
    await expect(import('../../functions/index.js')).rejects.toThrow(/COSMOS_ENDPOINT/);
    vi.unstubAllEnvs();
  });
});
