// The platform's own record of who touched the data (P12, P16): diagnostic settings that send
// Key Vault audit events, Cosmos DB data-plane and control-plane requests, blob reads, writes
// and deletes, and the Function App's logs to the Log Analytics workspace, where they are kept
// for the workspace's retention (at most 89 days, the shortest "3 months"). No retention is
// set here: the workspace's is the only one.

@description('Log Analytics workspace resource ID every setting sends to.')
param workspaceId string

@description('Key Vault name.')
param keyVaultName string

@description('Cosmos DB account name.')
param cosmosAccountName string

@description('Storage account name.')
param storageAccountName string

@description('Roster upload storage account name.')
param uploadStorageAccountName string

@description('Function App name.')
param functionAppName string

var settingName = 'engage-audit-trail'

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2025-04-15' existing = {
  name: cosmosAccountName
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'
  }
}

resource uploadStorage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: uploadStorageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'
  }
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' existing = {
  name: functionAppName
}

// Every read of the digest key, and every new version of it (the alert in alerts.bicep).
resource vaultDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [
      { category: 'AuditEvent', enabled: true }
    ]
  }
}

// Resource-specific tables (CDBDataPlaneRequests, CDBControlPlaneRequests): one row per
// request with its operation, status, RU charge and the identity behind it; no document
// content. Full-text query logging stays off (an account setting), so no query values appear.
resource cosmosDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: cosmos
  properties: {
    workspaceId: workspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      { category: 'DataPlaneRequests', enabled: true }
      { category: 'ControlPlaneRequests', enabled: true }
    ]
  }
}

// Leaver reports and exports live in blobs: who read, wrote or deleted which one (StorageBlobLogs).
resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: storage::blobService
  properties: {
    workspaceId: workspaceId
    logs: [
      { category: 'StorageRead', enabled: true }
      { category: 'StorageWrite', enabled: true }
      { category: 'StorageDelete', enabled: true }
    ]
  }
}

// Roster uploads: every browser PUT with its SAS, the import's read and delete of the zip.
resource uploadBlobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: uploadStorage::blobService
  properties: {
    workspaceId: workspaceId
    logs: [
      { category: 'StorageRead', enabled: true }
      { category: 'StorageWrite', enabled: true }
      { category: 'StorageDelete', enabled: true }
    ]
  }
}

// The host's own log stream (FunctionAppLogs): start-up, configuration and host errors, which
// Application Insights may not have if the app never got as far as sending telemetry.
resource functionAppDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: functionApp
  properties: {
    workspaceId: workspaceId
    logs: [
      { category: 'FunctionAppLogs', enabled: true }
    ]
  }
}
