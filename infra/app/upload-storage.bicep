// Storage account for roster uploads only: the one data store a browser must reach. Admins PUT
// their OneRoster zip straight to a short-lived SAS URL the API hands out (docs/roster-import.md);
// with private networking the main account has no public endpoint, so the uploads land here.
// It holds nothing else: no host storage, no reports, no exports, no planned batches (those
// stay in the main account). Shared keys are off, so the only way in is a user-delegation SAS
// the app signs (create only, one blob, minutes) or the app's own identity.

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

@description('Name of the managed identity that gets the data-plane roles (seed for stable role assignment names).')
param appIdentityName string

@description('Principal (object) ID of the Function App managed identity.')
param appPrincipalId string

@description('Browser origins (https://...) allowed to PUT roster uploads with their SAS URL. Empty: no CORS rule.')
param corsAllowedOrigins string[]

@description('Tag map.')
type resourceTags = { *: string }

// An upload is deleted by the import when it finishes; this removes an upload never imported
// (or a dry run's, never followed by the import). More than a day, so an upload is never taken
// from under an import that is still running. No soft delete and no versions: the lifecycle's
// delete is the last copy (docs/infrastructure.md, "Copies and how long they last").
var rosterUploadRetentionDays = 1

// Only the frontend's origins, only the upload's methods; x-ms-* covers x-ms-blob-type and the
// headers the Azure SDK adds in a browser. The SAS, not CORS, limits what a request may do. The
// preflight is cached per URL and every upload has its own, so a longer max age buys nothing.
var rosterUploadCorsRule = {
  allowedOrigins: corsAllowedOrigins
  allowedMethods: [
    'PUT'
    'OPTIONS'
  ]
  allowedHeaders: [
    'content-type'
    'x-ms-*'
  ]
  exposedHeaders: [
    'x-ms-request-id'
  ]
  maxAgeInSeconds: 600
}

// Built-in role definition IDs (stable, public). Blob Data Contributor: the import reads and
// deletes the upload; Blob Delegator: the user delegation key that signs the upload URLs.
var roles = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDelegator: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
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
    // Public on purpose: browsers in schools and town halls upload here. Every request still
    // needs the app's SAS or an Entra identity with a data role; anonymous access is off.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: false
    }
    containerDeleteRetentionPolicy: {
      enabled: false
    }
    isVersioningEnabled: false
    cors: {
      corsRules: empty(corsAllowedOrigins) ? [] : [rosterUploadCorsRule]
    }
  }
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  // The same name as the main account's container (ROSTER_UPLOADS_CONTAINER; tests/infra holds them equal).
  name: 'roster-uploads'
  properties: {
    publicAccess: 'None'
  }
}

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-roster-uploads'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
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
            }
          }
        }
      ]
    }
  }
}

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

@description('Blob service endpoint (ends with a slash), used for ROSTER_UPLOAD_BLOB_ENDPOINT.')
output blobEndpoint string = storage.properties.primaryEndpoints.blob
