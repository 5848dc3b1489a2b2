// Private endpoints and their private DNS zones: Cosmos DB (Sql), Storage (blob, queue, table:
// app blobs, host storage and the Durable Functions task hub) and Key Vault (the digest key
// reference). With these, every data store turns public network access off, and the Function
// App reaches them only through its VNet integration (api.bicep). The roster upload account
// stays public for browsers; its endpoint here is the app's way in. The zones are linked to the
// one network, so the app resolves each store's usual host name to its private address.

@description('Azure region (EU/EEA, checked in main.bicep).')
param location string

@description('Tags applied to every resource.')
param tags resourceTags

@description('Resource ID of the virtual network the zones are linked to.')
param networkId string

@description('Resource ID of the subnet the endpoints are placed in.')
param subnetId string

@description('Cosmos DB account name.')
param cosmosAccountName string

@description('Storage account name.')
param storageAccountName string

@description('Roster upload storage account name (public for browsers; the app reaches it here).')
param uploadStorageAccountName string

@description('Key Vault name.')
param keyVaultName string

@description('Tag map.')
type resourceTags = { *: string }

// One zone per kind of host name. A zone linked to the network answers for every account of its
// kind, so each account the app reaches needs its endpoint in it: without one, the upload
// account's name would resolve to nothing inside the network.
var zoneNames = [
  'privatelink.documents.azure.com'
  'privatelink.blob.${environment().suffixes.storage}'
  'privatelink.queue.${environment().suffixes.storage}'
  'privatelink.table.${environment().suffixes.storage}'
  'privatelink.vaultcore.azure.net'
]

// One endpoint per store and sub-resource, each with the zone (index in zoneNames) its host name resolves in.
var endpoints = [
  { name: 'cosmos', type: 'Microsoft.DocumentDB/databaseAccounts', resource: cosmosAccountName, groupId: 'Sql', zone: 0 }
  { name: 'blob', type: 'Microsoft.Storage/storageAccounts', resource: storageAccountName, groupId: 'blob', zone: 1 }
  { name: 'queue', type: 'Microsoft.Storage/storageAccounts', resource: storageAccountName, groupId: 'queue', zone: 2 }
  { name: 'table', type: 'Microsoft.Storage/storageAccounts', resource: storageAccountName, groupId: 'table', zone: 3 }
  { name: 'vault', type: 'Microsoft.KeyVault/vaults', resource: keyVaultName, groupId: 'vault', zone: 4 }
  { name: 'blob', type: 'Microsoft.Storage/storageAccounts', resource: uploadStorageAccountName, groupId: 'blob', zone: 1 }
]

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for zoneName in zoneNames: {
    name: zoneName
    location: 'global' // private DNS zones are global resources
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (zoneName, i) in zoneNames: {
    parent: zones[i]
    name: 'engage-vnet'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: networkId
      }
    }
  }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for endpoint in endpoints: {
    name: 'pe-${endpoint.name}-${endpoint.resource}'
    location: location
    tags: tags
    properties: {
      subnet: {
        id: subnetId
      }
      privateLinkServiceConnections: [
        {
          name: endpoint.name
          properties: {
            privateLinkServiceId: resourceId(endpoint.type, endpoint.resource)
            groupIds: [
              endpoint.groupId
            ]
          }
        }
      ]
    }
  }
]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (endpoint, i) in endpoints: {
    parent: privateEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: endpoint.name
          properties: {
            privateDnsZoneId: zones[endpoint.zone].id
          }
        }
      ]
    }
  }
]
