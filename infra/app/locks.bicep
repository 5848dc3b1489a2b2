// CanNotDelete locks on the resources that hold children's data or the key that recognises
// erased people: nobody deletes them by accident (a mistyped `azd down`, a portal click), and
// deleting one on purpose takes removing its lock first. Locks act on the control plane only:
// the app still deletes documents and blobs as retention and erasure require.

@description('Cosmos DB account name.')
param cosmosAccountName string

@description('Storage account name.')
param storageAccountName string

@description('Key Vault name.')
param keyVaultName string

@description('Log Analytics workspace name (the audit trail).')
param logAnalyticsName string

var notes = 'Engage: holds children\'s personal data, the privacy digest key or the audit trail. Remove the lock only to delete the environment on purpose (docs/infrastructure.md).'

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2025-04-15' existing = {
  name: cosmosAccountName
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-02-01' existing = {
  name: logAnalyticsName
}

resource cosmosLock 'Microsoft.Authorization/locks@2020-05-01' = {
  name: 'engage-cannot-delete'
  scope: cosmos
  properties: {
    level: 'CanNotDelete'
    notes: notes
  }
}

resource storageLock 'Microsoft.Authorization/locks@2020-05-01' = {
  name: 'engage-cannot-delete'
  scope: storage
  properties: {
    level: 'CanNotDelete'
    notes: notes
  }
}

resource vaultLock 'Microsoft.Authorization/locks@2020-05-01' = {
  name: 'engage-cannot-delete'
  scope: vault
  properties: {
    level: 'CanNotDelete'
    notes: notes
  }
}

resource workspaceLock 'Microsoft.Authorization/locks@2020-05-01' = {
  name: 'engage-cannot-delete'
  scope: workspace
  properties: {
    level: 'CanNotDelete'
    notes: notes
  }
}
