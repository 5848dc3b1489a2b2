// Storage account: Functions host storage (AzureWebJobsStorage, Durable Functions task hub
// on the Azure Storage provider), the Flex Consumption deployment package, and the app's
// blob containers. Identity-only access: shared keys are disabled.

@description('Storage account name (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region (EU/EEA, checked in main.bicep).')
param location string

@description('Tags applied to the account.')
param tags resourceTags

@description('Replication. ZRS needs a region with availability zones.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
])
param skuName string

@description('Public network access. Disabled once the account has private endpoints (private-endpoints.bicep).')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string

@description('Name of the managed identity that gets the data-plane roles (seed for stable role assignment names).')
param appIdentityName string

@description('Principal (object) ID of the Function App managed identity.')
param appPrincipalId string

@description('Tag map.')
type resourceTags = { *: string }

// Blob containers. `deployments` holds the Flex Consumption app package; the rest are the
// app's (BLOB_CONTAINERS in lib/storage/blob-containers.ts; tests/infra holds the two lists
// equal) and each has a lifecycle rule below.
var containerNames = [
  'deployments'
  'leaver-reports'
  'exports'
  'roster-uploads'
]

// Every copy counts (docs/infrastructure.md, "Copies and how long they last"): a deleted blob
// stays recoverable for blobSoftDeleteDays, so each limit below is the promise minus that.
// The app's expiry jobs delete leaver reports one to two days before their deadline (a 2-day
// look-ahead, run daily), so a 1-day soft delete ends by the deadline; tests/infra does the
// arithmetic with the app's own numbers.
var blobSoftDeleteDays = 1

// Lifecycle backstop, in days after creation. Leaver reports live at most 12 months, never less
// than 365 days: 360 + up to a day before the daily lifecycle run + soft delete stays inside.
// Exports expire after 7 days (P14); the backstop runs after that so a download never breaks.
var leaverReportRetentionDays = 360
var exportRetentionDays = 7
// An import's planned batches (the uploads themselves land in upload-storage.bicep) are deleted
// by the import when it finishes; this removes what a run never resumed leaves behind. More than
// a day, so batches are never taken from under an import that is still running.
var rosterUploadRetentionDays = 1

// Built-in role definition IDs (stable, public).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      defaultAction: publicNetworkAccess == 'Disabled' ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
        }
        file: {
          enabled: true
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    // The shortest soft delete: an erased or expired blob must really be gone soon after
    // (P3, P4, P14). It still undoes an accidental delete noticed the same day.
    deleteRetentionPolicy: {
      enabled: true
      days: blobSoftDeleteDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: blobSoftDeleteDays
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = [
  for containerName in containerNames: {
    parent: blobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-leaver-reports'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
                'appendBlob'
              ]
              prefixMatch: [
                'leaver-reports/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterCreationGreaterThan: leaverReportRetentionDays
                }
              }
              snapshot: {
                delete: {
                  daysAfterCreationGreaterThan: leaverReportRetentionDays
                }
              }
            }
          }
        }
        {
          name: 'delete-exports'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
                'appendBlob'
              ]
              prefixMatch: [
                'exports/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterCreationGreaterThan: exportRetentionDays
                }
              }
              snapshot: {
                delete: {
                  daysAfterCreationGreaterThan: exportRetentionDays
                }
              }
            }
          }
        }
        {
          name: 'delete-roster-uploads'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
                'appendBlob'
              ]
              prefixMatch: [
                'roster-uploads/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterCreationGreaterThan: rosterUploadRetentionDays
                }
              }
              snapshot: {
                delete: {
                  daysAfterCreationGreaterThan: rosterUploadRetentionDays
                }
              }
            }
          }
        }
      ]
    }
  }
}

// Roles for the Function App identity. Blob Data Owner: app blobs, the deployment package and
// AzureWebJobsStorage; Queue + Table Data Contributor: the Durable Functions Azure Storage
// provider (task hub queues and history/instances tables).
resource appRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in items(roles): {
    name: guid(storage.id, appIdentityName, roleId.value)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId.value)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

@description('Storage account name.')
output name string = storage.name

@description('Blob service endpoint (ends with a slash), used for BLOB_ENDPOINT and the deployment container URL.')
output blobEndpoint string = storage.properties.primaryEndpoints.blob

@description('Name of the container that holds the Flex Consumption deployment package.')
output deploymentContainerName string = containers[0].name
