import { hotContainerThroughput } from 'types.bicep'

// Cosmos DB for NoSQL: account, database `engage` and its containers, plus data-plane RBAC.
// Keys are disabled (disableLocalAuth): the app reaches Cosmos only with its managed identity.

@description('Cosmos DB account name (3-44 lower-case letters, digits and hyphens).')
@minLength(3)
@maxLength(44)
param name string

@description('Primary Azure region (EU/EEA, checked in main.bicep).')
param location string

@description('Optional second EU/EEA region for geo-replication and failover; empty for a single-region account.')
param secondaryLocation string

@description('Tags applied to the account.')
param tags resourceTags

@description('Public network access to the account. Disabled once the account has a private endpoint (private-endpoints.bicep).')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string

@description('Autoscale maximum RU/s shared by the containers without throughput of their own.')
@minValue(1000)
param autoscaleMaxThroughput int

@description('Dedicated autoscale maximum RU/s of the hot containers (every request writes or reads them), by container name; each scales between 10% and 100% of it. docs/infrastructure.md, "Capacity", gives the sizing method.')
param hotContainerMaxThroughput hotContainerThroughput

@description('Regions with availability zones: the account is zone redundant in each of its regions that is one.')
param zoneRegions string[]

@description('Name of the Function App managed identity (seed for stable role assignment names).')
param appIdentityName string

@description('Principal (object) ID of the Function App managed identity.')
param appPrincipalId string

@description('Optional principal (object) ID of the deploying user or pipeline; empty grants nothing.')
param deployerPrincipalId string

@description('Tag map.')
type resourceTags = { *: string }


@description('One Cosmos DB container.')
type containerSpec = {
  @description('Container id.')
  name: string

  @description('Partition key paths: one path is a Hash key, two or three paths a hierarchical (MultiHash) key.')
  partitionKeyPaths: string[]

  @description('Paths that queries filter or sort on. Everything else is left out of the index (/* is excluded).')
  indexedPaths: string[]

  @description('Default time-to-live in seconds; -1 turns TTL on without a default so that per-item ttl works. Omit for no TTL.')
  defaultTtl: int?
}

var databaseName = 'engage'

// THE CONTAINER LIST. Keep it in step with lib/data/containers.ts (CONTAINERS), the app's
// own definitions: same ids, same partition key paths, same indexed paths.
// tests/infra/arm-template.test.ts checks every container here has a partition key and
// that each container lib/ defines is here with the same keys and index.
// Changing a partition key later means a new container and a data migration.
var containers containerSpec[] = [
  {
    name: 'platform'
    partitionKeyPaths: ['/pk']
    indexedPaths: ['/pk/?', '/type/?', '/createdAt/?', '/status/?', '/followUpBy/?', '/municipalityId/?', '/updatedAt/?']
  }
  {
    name: 'identities'
    partitionKeyPaths: ['/id']
    indexedPaths: []
  }
  {
    name: 'directory'
    partitionKeyPaths: ['/municipalityId']
    indexedPaths: [
      '/type/?'
      '/schoolId/?'
      '/schoolIds/[]/?'
      '/teacherIds/[]/?'
      '/studentIds/[]/?'
      '/status/?'
      '/createdAt/?'
      '/erasureId/?'
      '/subjectDigests/[]/?'
      '/tombstonesPending/[]/?'
      '/leftAt/?'
      '/requestedBy/?'
    ]
  }
  {
    name: 'records'
    partitionKeyPaths: ['/municipalityId', '/studentId']
    indexedPaths: ['/type/?', '/createdAt/?', '/authorId/?']
  }
  {
    name: 'audit'
    partitionKeyPaths: ['/municipalityId', '/month']
    indexedPaths: ['/targetIds/[]/?', '/at/?', '/actorId/?', '/actorRole/?']
  }
  {
    name: 'usage'
    partitionKeyPaths: ['/municipalityId', '/accountBucket']
    indexedPaths: ['/type/?', '/at/?']
  }
  {
    name: 'ledger'
    partitionKeyPaths: ['/pk']
    indexedPaths: ['/type/?', '/municipalityId/?', '/day/?', '/deadline/?']
  }
  {
    name: 'jobs'
    partitionKeyPaths: ['/pk']
    indexedPaths: ['/type/?', '/status/?', '/dueAt/?', '/createdAt/?']
  }
  {
    name: 'reports'
    partitionKeyPaths: ['/municipalityId']
    indexedPaths: [
      '/type/?'
      '/schoolId/?'
      '/schoolYear/?'
      '/studentId/?'
      '/studentIds/[]/?'
      '/runId/?'
      '/requestedBy/?'
      '/state/?'
      '/createdAt/?'
      '/expiresAt/?'
    ]
  }
  {
    name: 'exports'
    partitionKeyPaths: ['/municipalityId']
    indexedPaths: ['/type/?', '/createdAt/?', '/expiresAt/?', '/subjectId/?', '/subjectIds/[]/?']
  }
  {
    name: 'sessions'
    partitionKeyPaths: ['/id']
    indexedPaths: []
    defaultTtl: -1
  }
  {
    name: 'consents'
    partitionKeyPaths: ['/municipalityId', '/userId']
    indexedPaths: ['/type/?']
  }
  {
    name: 'support'
    partitionKeyPaths: ['/pk']
    indexedPaths: ['/type/?', '/createdAt/?', '/municipalityId/?', '/updatedAt/?']
  }
  {
    name: 'outbox'
    partitionKeyPaths: ['/pk']
    indexedPaths: ['/type/?', '/status/?', '/claimedAt/?']
  }
  {
    name: 'rate-limits'
    partitionKeyPaths: ['/pk']
    indexedPaths: []
    defaultTtl: -1
  }
  {
    name: 'idempotency'
    partitionKeyPaths: ['/pk']
    indexedPaths: ['/pk/?', '/mentions/[]/?']
    defaultTtl: -1
  }
]

// One region, or two when a distinct secondary EU/EEA region is given.
var replicaLocations = empty(secondaryLocation) || secondaryLocation == location
  ? [location]
  : [location, secondaryLocation]

// Built-in "Cosmos DB Built-in Data Contributor" (a Cosmos SQL role, not an Azure RBAC role).
var dataContributorRoleId = '00000000-0000-0000-0000-000000000002'

var dataPrincipals = empty(deployerPrincipalId)
  ? [
      { seed: appIdentityName, principalId: appPrincipalId }
    ]
  : [
      { seed: appIdentityName, principalId: appPrincipalId }
      { seed: deployerPrincipalId, principalId: deployerPrincipalId }
    ]

resource account 'Microsoft.DocumentDB/databaseAccounts@2025-04-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    locations: [
      for (region, i) in replicaLocations: {
        locationName: region
        failoverPriority: i
        isZoneRedundant: contains(zoneRegions, region)
      }
    ]
    enableAutomaticFailover: length(replicaLocations) > 1
    enableMultipleWriteLocations: false
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    publicNetworkAccess: publicNetworkAccess
    minimalTlsVersion: 'Tls12'
    backupPolicy: {
      type: 'Continuous'
      continuousModeProperties: {
        tier: 'Continuous7Days'
      }
    }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2025-04-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
    options: {
      autoscaleSettings: {
        maxThroughput: autoscaleMaxThroughput
      }
    }
  }
}

resource sqlContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2025-04-15' = [
  for c in containers: {
    parent: database
    name: c.name
    properties: {
      // Hot containers have autoscale of their own; the rest share the database's. (Shared or
      // dedicated is fixed when a container is created: changing it means a new container.)
      options: contains(hotContainerMaxThroughput, c.name)
        ? { autoscaleSettings: { maxThroughput: hotContainerMaxThroughput[c.name] } }
        : {}
      resource: {
        id: c.name
        partitionKey: {
          paths: c.partitionKeyPaths
          kind: length(c.partitionKeyPaths) > 1 ? 'MultiHash' : 'Hash'
          version: 2
        }
        // null when the container sets no defaultTtl: ARM leaves the property out (TTL off).
        defaultTtl: c.?defaultTtl
        indexingPolicy: {
          indexingMode: 'consistent'
          automatic: true
          includedPaths: [for p in c.indexedPaths: { path: p }]
          excludedPaths: [
            { path: '/*' }
            { path: '/"_etag"/?' }
          ]
        }
      }
    }
  }
]

resource dataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions@2025-04-15' existing = {
  parent: account
  name: dataContributorRoleId
}

resource dataRoleAssignments 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2025-04-15' = [
  for p in dataPrincipals: {
    parent: account
    name: guid(account.id, p.seed, dataContributorRoleId)
    properties: {
      roleDefinitionId: dataContributor.id
      principalId: p.principalId
      scope: account.id
    }
  }
]

@description('Cosmos DB account name.')
output name string = account.name

@description('Cosmos DB account resource ID (metric alerts, diagnostic settings).')
output id string = account.id

@description('Document endpoint, used for COSMOS_ENDPOINT.')
output endpoint string = account.properties.documentEndpoint

@description('Database name, used for COSMOS_DATABASE.')
output databaseName string = database.name

@description('Regions of the account in failover order, used for COSMOS_PREFERRED_REGIONS.')
output regions string[] = replicaLocations
