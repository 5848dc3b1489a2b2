// Engage backend infrastructure (Azure Developer CLI layout: `azd up` provisions this).
// Everything lives in one resource group in one EU/EEA region (P15); see
// docs/infrastructure.md for what is deployed and why.
targetScope = 'subscription'

import { hotContainerThroughput } from 'app/types.bicep'

metadata description = 'Engage backend: API Management gateway (Standard v2, rate limit per client IP) in front of a Function App (Flex Consumption, Node 22), Cosmos DB, Storage, monitoring; EU/EEA only.'

// ---------------------------------------------------------------------------------------
// Parameters (infra/main.parameters.json maps them to azd environment variables)
// ---------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group and seeds the resource token.')
param environmentName string

// The EU/EEA regions (P15) that offer Flex Consumption, every one of them with availability
// zones. Cosmos DB's secondaryLocation, var euEeaRegions and the policies keep the whole EU/EEA
// list, in step with lib/config/eu-regions.ts. Switzerland and the UK are not in the EU/EEA
// and are deliberately absent. tests/infra checks all of this.
@minLength(1)
@description('Region for every resource: an EU/EEA region (P15) that offers Flex Consumption and has availability zones.')
@allowed([
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'northeurope'
  'norwayeast'
  'polandcentral'
  'spaincentral'
  'swedencentral'
  'westeurope'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Optional second EU/EEA region for Cosmos DB geo-replication (automatic failover). Empty: single region.')
@allowed([
  ''
  'austriaeast'
  'belgiumcentral'
  'denmarkeast'
  'finlandcentral'
  'francecentral'
  'francesouth'
  'germanynorth'
  'germanywestcentral'
  'greececentral'
  'italynorth'
  'northeurope'
  'norwayeast'
  'norwaywest'
  'polandcentral'
  'spaincentral'
  'swedencentral'
  'swedensouth'
  'westeurope'
])
param secondaryLocation string = ''

@description('Object ID of the deploying user or pipeline (azd sets AZURE_PRINCIPAL_ID).')
param principalId string = ''

@description('Give principalId the Cosmos DB Built-in Data Contributor role (read/write of all data) for debugging. Keep false for any environment that holds real children\'s data.')
param grantDeployerDataAccess bool = false

@description('Cosmos DB account name; default cosmos-<token>. After a point-in-time restore (which always creates a new account), the restored account\'s name: provisioning then brings it under this template and points the app at it (docs/operations.md, "Restore from a backup").')
param cosmosAccountName string = ''

@description('Resource group name; default rg-<environmentName>.')
param resourceGroupName string = ''

@description('OIDC_ISSUERS: JSON array of trusted token issuers [{issuer, audience, jwksUri, algorithms?}]. Required: the app refuses to start in azure mode without one.')
@minLength(2)
param oidcIssuers string

@description('PLATFORM_OPERATORS: JSON array of platform operators [{issuer, subject}].')
param platformOperators string = '[]'

@description('Comma-separated browser origins allowed by CORS (https://..., no wildcard: credentials are allowed). Empty: no cross-origin browser access.')
param corsAllowedOrigins string = ''

@description('What this environment is for. Outside dev an alert e-mail address is required, and delete locks, Defender plans and private networking default to on.')
@allowed([
  'dev'
  'test'
  'prod'
])
param environmentType string = 'prod'

@description('E-mail address every alert notifies. Required unless environmentType is dev (the deployment fails without it); in dev, empty leaves the action group without receivers.')
param alertEmailAddress string = ''

@description('Region of the action group. Regional action groups process notifications in that region; only these EU regions offer them.')
@allowed([
  'swedencentral'
  'germanywestcentral'
])
param actionGroupLocation string = 'swedencentral'

@description('Days Log Analytics keeps telemetry, platform logs and Application Insights data (30-89: within the shortest "3 months", the bound the app itself keeps, lib/usage/retention-policy.ts).')
@minValue(30)
@maxValue(89)
param logRetentionInDays int = 30

@description('PRIVACY_DIGEST_KEY: key of the keyed digests that recognise erased subjects and anonymised records without naming them (at least 32 characters). Give it for the first provision of an environment, or a deliberate rotation, only: empty leaves the Key Vault secret as it is, so no later provision can change it (docs/infrastructure.md, "Privacy digest key").')
@secure()
param privacyDigestKey string = ''

@description('Autoscale maximum RU/s shared by the engage database\'s containers without throughput of their own (scales between 10% and 100% of it).')
@minValue(1000)
param cosmosAutoscaleMaxThroughput int = 1000

@description('Dedicated autoscale maximum RU/s of the hot containers, sized as RU per request (docs/benchmarks.md operations x RU per operation) x expected peak requests/s x 1.5 headroom: docs/infrastructure.md, "Capacity".')
param cosmosHotContainerMaxThroughput hotContainerThroughput = {
  audit: 2000
  records: 1000
  directory: 1000
  usage: 2000
}

@description('Storage replication. Empty: Standard_ZRS where the region has availability zones, Standard_LRS elsewhere.')
@allowed([
  ''
  'Standard_LRS'
  'Standard_ZRS'
])
param storageSkuName string = ''

@description('Maximum Function App instances (Flex Consumption).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Function App instance memory in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Retention job names that must each log RetentionJobCompleted at least every 26 hours. Default: every job the app defines (tests keep app/retention-jobs.json equal to them).')
param retentionJobNames string[] = loadJsonContent('app/retention-jobs.json')

@description('Calls each client IP address may make through the API Management gateway per edgeRateLimitPeriodSeconds (all of /api together). Beyond it the gateway answers 429 with Retry-After.')
@minValue(1)
param edgeRateLimitCalls int = 300

@description('Sliding window of the edge rate limit in seconds (API Management allows at most 300).')
@minValue(1)
@maxValue(300)
param edgeRateLimitPeriodSeconds int = 60

@description('E-mail address API Management sends service notifications to. Empty: alertEmailAddress, or a placeholder when that is empty too.')
param gatewayPublisherEmail string = ''

@description('Organisation name API Management shows as the API publisher.')
@minLength(1)
param gatewayPublisherName string = 'Engage'

@description('Private networking: the Function App integrates with the virtual network, Cosmos DB, Storage (blob, queue, table) and Key Vault get private endpoints and private DNS zones, and their public network access is disabled (the roster upload account keeps its public endpoint for browsers and gets a private endpoint for the app). On unless environmentType is dev; turn it off only for a dev environment reached from a developer machine.')
param privateNetworking bool = environmentType != 'dev'

@description('APP_VERSION the app reports on /api/health and in the availability probe. azd sets nothing by itself: pass the release (e.g. the git tag) with azd env set APP_VERSION.')
param appVersion string = '0.0.0-unreleased'

@description('Where Azure Communication Services (the e-mail notices of P8 and P18) keeps its data: Norway or Europe.')
@allowed([
  'Norway'
  'Europe'
])
param emailDataLocation string = 'Norway'

@description('CanNotDelete locks on Cosmos DB, Storage, Key Vault and the Log Analytics workspace. On unless environmentType is dev.')
param enableDeleteLocks bool = environmentType != 'dev'

@description('Microsoft Defender for Cloud plans (Cosmos DB, Storage, Key Vault, App Service) on the subscription. Subscription-wide; needs Security Admin or Owner there. On unless environmentType is dev.')
param enableDefenderPlans bool = environmentType != 'dev'

@description('Send the subscription\'s Activity Log to this environment\'s Log Analytics workspace. A subscription takes at most 5 such settings: turn it off for the sixth environment in one subscription.')
param sendActivityLog bool = true

@description('Assign the built-in "Azure Cosmos DB allowed locations" policy to the subscription, so no Cosmos DB account there replicates outside the EU/EEA (the resource group\'s Allowed locations policy checks only an account\'s main location). Needs Owner or Resource Policy Contributor on the subscription. On unless environmentType is dev.')
param assignCosmosLocationPolicy bool = environmentType != 'dev'

@description('Also assign the built-in "Allowed locations for resource groups" policy to the whole subscription. Off by default: it affects every resource group in the subscription and needs Owner or Resource Policy Contributor there.')
param assignSubscriptionLocationPolicy bool = false

// ---------------------------------------------------------------------------------------
// Variables
// ---------------------------------------------------------------------------------------

// Every EU/EEA region, the same list as secondaryLocation's @allowed and lib/config/eu-regions.ts (bicep cannot reuse a decorator's list).
var euEeaRegions = [
  'austriaeast'
  'belgiumcentral'
  'denmarkeast'
  'finlandcentral'
  'francecentral'
  'francesouth'
  'germanynorth'
  'germanywestcentral'
  'greececentral'
  'italynorth'
  'northeurope'
  'norwayeast'
  'norwaywest'
  'polandcentral'
  'spaincentral'
  'swedencentral'
  'swedensouth'
  'westeurope'
]

// Availability test locations inside the EU. The ids are Microsoft's and misleading:
// emea-nl-ams-azr = West Europe (NL), emea-gb-db3-azr = North Europe (Dublin, IE),
// emea-fr-pra-edge = France Central, emea-ch-zrh-edge = France South. Not used:
// emea-se-sto-edge (UK West) and emea-ru-msa-edge (UK South).
var availabilityTestLocations = [
  'emea-nl-ams-azr'
  'emea-gb-db3-azr'
  'emea-fr-pra-edge'
  'emea-ch-zrh-edge'
]

// EU/EEA regions with availability zones: storage is ZRS and Cosmos DB zone redundant there.
// Every allowed `location` is one; an optional secondaryLocation may not be.
var zoneRegions = [
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'northeurope'
  'norwayeast'
  'polandcentral'
  'spaincentral'
  'swedencentral'
  'westeurope'
]

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  workload: 'engage'
  'data-classification': 'children-personal-data'
}
var names = {
  resourceGroup: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  identity: 'id-api-${resourceToken}'
  plan: 'plan-${resourceToken}'
  functionApp: 'func-api-${resourceToken}'
  storage: 'st${resourceToken}'
  uploadStorage: 'stup${resourceToken}'
  cosmos: empty(cosmosAccountName) ? 'cosmos-${resourceToken}' : cosmosAccountName
  keyVault: 'kv-${resourceToken}'
  logAnalytics: 'log-${resourceToken}'
  applicationInsights: 'appi-${resourceToken}'
  gateway: 'apim-${resourceToken}'
  network: 'vnet-${resourceToken}'
  networkSecurityGroup: 'nsg-gateway-${resourceToken}'
}
// API Management requires a publisher e-mail address; example.com is reserved (RFC 2606), so
// the placeholder can never reach anyone.
var publisherEmail = !empty(gatewayPublisherEmail)
  ? gatewayPublisherEmail
  : (!empty(alertEmailAddress) ? alertEmailAddress : 'engage-ops@example.com')
// Public network access of every data store: off once private endpoints exist.
var dataPublicNetworkAccess = privateNetworking ? 'Disabled' : 'Enabled'
var corsOrigins = filter(map(split(corsAllowedOrigins, ','), origin => trim(origin)), origin => !empty(origin))
// Blob CORS applies as written (no app start-up check in between), so only https:// origins
// reach it: a stray `*` or http:// origin is left out rather than opening uploads to any site.
var blobCorsOrigins = filter(corsOrigins, origin => startsWith(origin, 'https://'))

// Built-in "Allowed locations for resource groups".
var allowedResourceGroupLocationsDefinitionId = 'e765b5de-1225-4ba3-bd56-1ac6695af988'

// Built-in "Azure Cosmos DB allowed locations": checks every region of an account, replicas too.
var cosmosAllowedLocationsDefinitionId = '0473574d-2d43-4217-aefe-941fcdf7e684'

// ---------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

module policy 'app/policy.bicep' = {
  scope: rg
  params: {
    allowedLocations: euEeaRegions
  }
}

resource rgLocationPolicy 'Microsoft.Authorization/policyAssignments@2025-03-01' = if (assignSubscriptionLocationPolicy) {
  name: 'engage-allowed-rg-locations'
  properties: {
    displayName: 'Engage: resource groups only in EU/EEA regions (P15)'
    description: 'Denies creating resource groups outside the EU/EEA regions listed.'
    policyDefinitionId: tenantResourceId(
      'Microsoft.Authorization/policyDefinitions',
      allowedResourceGroupLocationsDefinitionId
    )
    enforcementMode: 'Default'
    parameters: {
      listOfAllowedLocations: {
        value: euEeaRegions
      }
    }
  }
}

resource cosmosLocationPolicy 'Microsoft.Authorization/policyAssignments@2025-03-01' = if (assignCosmosLocationPolicy) {
  name: 'engage-cosmos-allowed-locations'
  properties: {
    displayName: 'Engage: Cosmos DB accounts and their replicas only in EU/EEA regions (P15)'
    description: 'Denies Cosmos DB accounts with any region, replicas included, outside the EU/EEA regions listed.'
    policyDefinitionId: tenantResourceId('Microsoft.Authorization/policyDefinitions', cosmosAllowedLocationsDefinitionId)
    enforcementMode: 'Default'
    parameters: {
      listOfAllowedLocations: {
        value: euEeaRegions
      }
    }
  }
}

module identity 'app/identity.bicep' = {
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
    appIdentityName: names.identity
    appPrincipalId: identity.outputs.principalId
  }
}

module storage 'app/storage.bicep' = {
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    skuName: storageSkuName == 'Standard_LRS' || (empty(storageSkuName) && !contains(zoneRegions, location))
      ? 'Standard_LRS'
      : 'Standard_ZRS'
    publicNetworkAccess: dataPublicNetworkAccess
    appIdentityName: names.identity
    appPrincipalId: identity.outputs.principalId
  }
}

// Browsers upload roster zips here; public whatever privateNetworking says (upload-storage.bicep).
module uploadStorage 'app/upload-storage.bicep' = {
  scope: rg
  params: {
    name: names.uploadStorage
    location: location
    tags: tags
    skuName: storageSkuName == 'Standard_LRS' || (empty(storageSkuName) && !contains(zoneRegions, location))
      ? 'Standard_LRS'
      : 'Standard_ZRS'
    appIdentityName: names.identity
    appPrincipalId: identity.outputs.principalId
    corsAllowedOrigins: blobCorsOrigins
  }
}

module cosmos 'app/cosmos.bicep' = {
  scope: rg
  params: {
    name: names.cosmos
    location: location
    secondaryLocation: secondaryLocation
    tags: tags
    publicNetworkAccess: dataPublicNetworkAccess
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
    hotContainerMaxThroughput: cosmosHotContainerMaxThroughput
    zoneRegions: zoneRegions
    appIdentityName: names.identity
    appPrincipalId: identity.outputs.principalId
    deployerPrincipalId: grantDeployerDataAccess ? principalId : ''
  }
}

module keyVault 'app/keyvault.bicep' = {
  scope: rg
  params: {
    name: names.keyVault
    location: location
    tags: tags
    publicNetworkAccess: dataPublicNetworkAccess
    appIdentityName: names.identity
    appPrincipalId: identity.outputs.principalId
  }
}

// The digest key is written only when one is given (first provision, deliberate rotation).
module digestKey 'app/digest-key-secret.bicep' = if (!empty(privacyDigestKey)) {
  scope: rg
  params: {
    keyVaultName: names.keyVault
    privacyDigestKey: privacyDigestKey
  }
  dependsOn: [
    keyVault
  ]
}

module email 'app/email.bicep' = {
  scope: rg
  params: {
    resourceToken: resourceToken
    dataLocation: emailDataLocation
    tags: tags
    appIdentityName: names.identity
    appPrincipalId: identity.outputs.principalId
  }
}

module network 'app/network.bicep' = {
  scope: rg
  params: {
    name: names.network
    securityGroupName: names.networkSecurityGroup
    location: location
    tags: tags
  }
}

module privateEndpoints 'app/private-endpoints.bicep' = if (privateNetworking) {
  scope: rg
  params: {
    location: location
    tags: tags
    networkId: network.outputs.networkId
    subnetId: network.outputs.privateEndpointSubnetId
    cosmosAccountName: names.cosmos
    storageAccountName: names.storage
    uploadStorageAccountName: names.uploadStorage
    keyVaultName: names.keyVault
  }
  dependsOn: [
    cosmos
    storage
    uploadStorage
    keyVault
  ]
}

module api 'app/api.bicep' = {
  scope: rg
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    rosterUploadBlobEndpoint: uploadStorage.outputs.blobEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabaseName: cosmos.outputs.databaseName
    cosmosRegions: cosmos.outputs.regions
    allowedRegions: euEeaRegions
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    // Taking the URI from the module also orders the app after the Secrets User grant.
    privacyDigestKeySecretUri: keyVault.outputs.privacyDigestKeySecretUri
    appVersion: appVersion
    emailEndpoint: email.outputs.endpoint
    emailSenderAddress: email.outputs.senderAddress
    // Round-trip through json() so a malformed value fails the deployment, not the app.
    oidcIssuers: string(json(oidcIssuers))
    platformOperators: string(json(platformOperators))
    corsAllowedOrigins: corsOrigins
    gatewaySubnetId: network.outputs.gatewaySubnetId
    virtualNetworkSubnetId: privateNetworking ? network.outputs.appSubnetId : ''
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
  // The app starts with its stores reachable (private endpoints and DNS first) and with its
  // digest key in the vault.
  dependsOn: [
    privateEndpoints
    digestKey
  ]
}

module gateway 'app/gateway.bicep' = {
  scope: rg
  params: {
    name: names.gateway
    location: location
    tags: tags
    publisherEmail: publisherEmail
    publisherName: gatewayPublisherName
    subnetId: network.outputs.gatewaySubnetId
    backendHostName: api.outputs.defaultHostName
    rateLimitCalls: edgeRateLimitCalls
    rateLimitPeriodSeconds: edgeRateLimitPeriodSeconds
  }
}

// Fails the deployment outside dev when no alert e-mail address is given (see the module).
module alertReceiver 'app/alert-receiver.bicep' = if (environmentType != 'dev') {
  scope: rg
  params: {
    alertEmailAddress: alertEmailAddress
  }
}

module alerts 'app/alerts.bicep' = {
  scope: rg
  params: {
    resourceToken: resourceToken
    location: location
    actionGroupLocation: actionGroupLocation
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    logAnalyticsId: monitoring.outputs.logAnalyticsId
    cosmosAccountId: cosmos.outputs.id
    apiBaseUrl: gateway.outputs.apiBaseUrl
    alertEmailAddress: alertReceiver.?outputs.alertEmailAddress ?? alertEmailAddress
    testLocations: availabilityTestLocations
    retentionJobNames: retentionJobNames
  }
}

// The platform's record of who touched the data: Key Vault, Cosmos DB, blobs, the Function App.
module diagnostics 'app/diagnostics.bicep' = {
  scope: rg
  params: {
    workspaceId: monitoring.outputs.logAnalyticsId
    keyVaultName: names.keyVault
    cosmosAccountName: names.cosmos
    storageAccountName: names.storage
    uploadStorageAccountName: names.uploadStorage
    functionAppName: names.functionApp
  }
  dependsOn: [
    keyVault
    cosmos
    storage
    uploadStorage
    api
  ]
}

// Control-plane changes to the subscription (role assignments, deletions, policy), kept with
// the rest for the workspace's retention (at most 89 days).
resource activityLog 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (sendActivityLog) {
  name: 'engage-activity-log-${environmentName}'
  properties: {
    workspaceId: monitoring.outputs.logAnalyticsId
    logs: [
      for category in ['Administrative', 'Security', 'Policy', 'Alert', 'ServiceHealth', 'ResourceHealth']: {
        category: category
        enabled: true
      }
    ]
  }
}

module locks 'app/locks.bicep' = if (enableDeleteLocks) {
  scope: rg
  params: {
    cosmosAccountName: names.cosmos
    storageAccountName: names.storage
    keyVaultName: names.keyVault
    logAnalyticsName: names.logAnalytics
  }
  dependsOn: [
    cosmos
    storage
    keyVault
    monitoring
  ]
}

module defender 'app/defender.bicep' = if (enableDefenderPlans) {}

module workbook 'app/workbook.bicep' = {
  scope: rg
  params: {
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    webTestName: alerts.outputs.webTestName
  }
}

// ---------------------------------------------------------------------------------------
// Outputs (azd stores them in the environment's .env)
// ---------------------------------------------------------------------------------------

@description('Region everything was deployed to.')
output AZURE_LOCATION string = location

@description('Tenant of the deployment.')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Resource group holding every resource.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('Function App name (azd deploys the api service here).')
output SERVICE_API_NAME string = api.outputs.name

@description('Function App base URL. It answers only the API Management gateway: clients use API_BASE_URL.')
output SERVICE_API_URI string = 'https://${api.outputs.defaultHostName}'

@description('API Management gateway URL (the edge, with the rate limit per client IP).')
output AZURE_GATEWAY_URL string = gateway.outputs.gatewayUrl

@description('Base URL of the API for clients: the gateway followed by /api.')
output API_BASE_URL string = gateway.outputs.apiBaseUrl

@description('API Management service name.')
output AZURE_API_MANAGEMENT_NAME string = gateway.outputs.name

@description('Availability test target.')
output HEALTH_URL string = alerts.outputs.healthUrl

@description('Cosmos DB endpoint (COSMOS_ENDPOINT).')
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint

@description('Blob endpoint (BLOB_ENDPOINT).')
output BLOB_ENDPOINT string = storage.outputs.blobEndpoint

@description('Blob endpoint of the roster upload account (ROSTER_UPLOAD_BLOB_ENDPOINT).')
output ROSTER_UPLOAD_BLOB_ENDPOINT string = uploadStorage.outputs.blobEndpoint

@description('Key Vault holding the privacy-digest-key secret.')
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name

@description('Client ID of the app managed identity (AZURE_CLIENT_ID).')
output AZURE_CLIENT_ID string = identity.outputs.clientId

@description('Application Insights component name.')
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName

@description('Residency policy assignment on the resource group.')
output RESIDENCY_POLICY_ASSIGNMENT_ID string = policy.outputs.id

@description('Operations workbook resource ID.')
output WORKBOOK_ID string = workbook.outputs.id
