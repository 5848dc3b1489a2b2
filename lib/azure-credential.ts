import type { TokenCredential } from '@azure/identity';
import type { AppConfig } from './config/config.js';

/**
 * The app's managed identity, for the Azure SDK clients (Cosmos DB, Blob Storage); local mode
 * signs with the emulators' keys and has none. Loaded only in Azure mode.
 */
export async function managedIdentity(config: AppConfig): Promise<() => TokenCredential> {
  if (config.mode === 'local') return () => { throw new Error('managed identity is not used in local mode'); };
  const { DefaultAzureCredential } = await import('@azure/identity');
  const credential = new DefaultAzureCredential(
    config.managedIdentityClientId ? { managedIdentityClientId: config.managedIdentityClientId } : {},
  );
  return () => credential;
}
