import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config/config.js';
import { isEuEeaRegion } from '../../lib/config/eu-regions.js';

const localEnv = {
  ENGAGE_MODE: 'local',
  COSMOS_ENDPOINT: 'https://127.0.0.1:8081',
  COSMOS_KEY: 'key',
  BLOB_ENDPOINT: 'http://127.0.0.1:10000/devstoreaccount1',
  BLOB_ACCOUNT_NAME: 'devstoreaccount1',
  BLOB_ACCOUNT_KEY: 'key',
};

const azureEnv = {
  ENGAGE_MODE: 'azure',
  AZURE_REGION: 'norwayeast',
  COSMOS_ENDPOINT: 'https://engage.documents.azure.com',
  BLOB_ENDPOINT: 'https://engage.blob.core.windows.net',
  ROSTER_UPLOAD_BLOB_ENDPOINT: 'https://engageup.blob.core.windows.net',
  PRIVACY_DIGEST_KEY: 'k'.repeat(32),
  OIDC_ISSUERS: JSON.stringify([{ issuer: 'https://auth.dataporten.no', audience: 'engage', jwksUri: 'https://auth.dataporten.no/openid/jwks' }]),
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the configuration to be refused');
}

describe('configuration', () => {
  it('accepts a complete local and a complete Azure configuration', () => {
    expect(loadConfig(localEnv).mode).toBe('local');
    const azure = loadConfig(azureEnv);
    expect(azure.issuers[0]?.issuer).toBe('https://auth.dataporten.no');
    expect(azure.maxBodyBytes).toBe(1024 * 1024);
  });

  it('lists every bad variable in one message, without echoing values', () => {
    const env = { ENGAGE_MODE: 'cloud', COSMOS_ENDPOINT: 'not a url', MAX_BODY_BYTES: 'lots', BLOB_ACCOUNT_KEY: 's3cr3t-value' };
    const found = problemsOf(env);
    const variables = found.map((line) => line.split(':')[0]);
    expect(variables).toEqual(expect.arrayContaining(['ENGAGE_MODE', 'COSMOS_ENDPOINT', 'BLOB_ENDPOINT', 'MAX_BODY_BYTES']));
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as Error).message).toMatch(/^Invalid configuration; refusing to start:/);
      expect((error as Error).message).not.toContain('s3cr3t-value');
    }
  });

  it('local mode needs the emulator keys; Azure mode refuses keys and needs a region, an issuer and the upload account', () => {
    expect(problemsOf({ ...localEnv, COSMOS_KEY: '' })).toContain('COSMOS_KEY: is required in local mode');
    const azure = problemsOf({ ...azureEnv, COSMOS_KEY: 'k', AZURE_REGION: '', OIDC_ISSUERS: '', PRIVACY_DIGEST_KEY: '', ROSTER_UPLOAD_BLOB_ENDPOINT: '' });
    expect(azure).toEqual(expect.arrayContaining([
      'ROSTER_UPLOAD_BLOB_ENDPOINT: is required in azure mode (the roster upload account)',
      'PRIVACY_DIGEST_KEY: is required in azure mode (a Key Vault reference)',
      'COSMOS_KEY: must not be set in azure mode: use managed identity',
      'AZURE_REGION: is required in azure mode',
      'OIDC_ISSUERS: needs at least one issuer in azure mode',
    ]));
  });

  it('refuses an unresolved Key Vault reference as the digest key', () => {
    expect(problemsOf({ ...azureEnv, PRIVACY_DIGEST_KEY: '@Microsoft.KeyVault(SecretUri=https://kv-x.vault.azure.net/secrets/privacy-digest-key)' })).toEqual([
      'PRIVACY_DIGEST_KEY: is an unresolved Key Vault reference (check the identity and role)',
    ]);
  });

  it('refuses regions outside the EU/EEA (P15)', () => {
    expect(problemsOf({ ...azureEnv, AZURE_REGION: 'eastus' })).toEqual(['AZURE_REGION: is not an EU/EEA region (P15)']);
    expect(problemsOf({ ...azureEnv, COSMOS_PREFERRED_REGIONS: 'norwayeast,switzerlandnorth, uksouth' })).toEqual([
      'COSMOS_PREFERRED_REGIONS: region "switzerlandnorth" is not an EU/EEA region (P15)',
      'COSMOS_PREFERRED_REGIONS: region "uksouth" is not an EU/EEA region (P15)',
    ]);
    expect(loadConfig({ ...azureEnv, COSMOS_PREFERRED_REGIONS: 'Norway East, swedencentral' }).cosmos.preferredRegions).toEqual(['Norway East', 'swedencentral']);
  });

  it('knows EU/EEA regions by ARM and display name, and nothing outside', () => {
    for (const region of ['norwayeast', 'Norway West', 'West Europe', 'swedencentral', 'germanywestcentral']) expect(isEuEeaRegion(region)).toBe(true);
    for (const region of ['South Central US', 'uksouth', 'switzerlandnorth', 'eastus', '']) expect(isEuEeaRegion(region)).toBe(false);
  });

  it('validates issuer and operator JSON, naming the broken entry', () => {
    const broken = problemsOf({ ...azureEnv, OIDC_ISSUERS: '[{"issuer":"x"}]', PLATFORM_OPERATORS: 'not json' });
    expect(broken.some((line) => line.startsWith('OIDC_ISSUERS: 0.'))).toBe(true);
    expect(broken).toContain('PLATFORM_OPERATORS: must be a JSON array');
    const alg = problemsOf({ ...azureEnv, OIDC_ISSUERS: JSON.stringify([{ issuer: 'https://a.example', audience: 'a', jwksUri: 'https://a.example/jwks', algorithms: ['HS256'] }]) });
    expect(alg[0]).toMatch(/^OIDC_ISSUERS: 0\.algorithms\.0/);
  });
});
