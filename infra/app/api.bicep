// The Function App on the Flex Consumption plan (FC1), Node.js 22, running as a
// user-assigned managed identity. Host storage, the deployment package, Cosmos DB, Blob
// Storage and Application Insights are all reached with that identity: no keys, no
// connection strings with secrets. Requests reach it only through the API Management
// gateway (gateway.bicep).

@description('Function App name.')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region (EU/EEA, checked in main.bicep).')
param location string

@description('Tags applied to the plan and the app (the app also gets azd-service-name).')
param tags resourceTags

@description('Resource ID of the user-assigned managed identity.')
param identityId string

@description('Client ID of the user-assigned managed identity.')
param identityClientId string

@description('Storage account used for AzureWebJobsStorage (identity-based).')
param storageAccountName string

@description('Blob endpoint of that storage account (ends with a slash).')
param blobEndpoint string

@description('Blob endpoint of the roster upload account (upload-storage.bicep).')
param rosterUploadBlobEndpoint string

@description('Container holding the deployment package.')
param deploymentContainerName string

@description('Cosmos DB document endpoint.')
param cosmosEndpoint string

@description('Cosmos DB database name.')
param cosmosDatabaseName string

@description('Cosmos DB regions in failover order (COSMOS_PREFERRED_REGIONS).')
param cosmosRegions string[]

@description('EU/EEA regions the app accepts (ALLOWED_REGIONS).')
param allowedRegions string[]

@description('Application Insights connection string.')
param applicationInsightsConnectionString string

@description('Versionless URI of the Key Vault secret holding PRIVACY_DIGEST_KEY (resolved by a Key Vault reference with the app identity).')
param privacyDigestKeySecretUri string

@description('APP_VERSION: the release the app reports.')
param appVersion string

@description('EMAIL_ENDPOINT: the Communication Services endpoint (e-mail notices, P8, P18).')
param emailEndpoint string

@description('EMAIL_SENDER_ADDRESS: the address notices are sent from.')
param emailSenderAddress string

@description('OIDC_ISSUERS: JSON array of trusted token issuers, passed through to the app.')
param oidcIssuers string

@description('PLATFORM_OPERATORS: JSON array of {issuer, subject} platform operators, passed through to the app.')
param platformOperators string

@description('Browser origins allowed by CORS (platform CORS and CORS_ALLOWED_ORIGINS). No wildcard: credentials are supported.')
param corsAllowedOrigins string[]

@description('Resource ID of the API Management gateway\'s integration subnet: the only source the app accepts requests from.')
param gatewaySubnetId string

@description('Resource ID of the subnet the app sends its outbound traffic through (VNet integration, private endpoints of the data stores); empty: none.')
param virtualNetworkSubnetId string

@description('Maximum number of instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Instance memory size in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('Tag map.')
type resourceTags = { *: string }

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    // Key Vault references resolve with the user-assigned identity (the default would be
    // a system-assigned identity, which this app does not have).
    keyVaultReferenceIdentity: identityId
    // Outbound VNet integration: Cosmos DB, Storage and Key Vault are reached at their private
    // endpoints (private-endpoints.bicep), and only there once their public access is off.
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    // Public, but the access restriction below admits only the gateway's subnet: the service
    // endpoint on that subnet reaches the app through its public endpoint.
    publicNetworkAccess: 'Enabled'
    siteConfig: {
      // Only the API Management gateway may call the app, so nobody can go around the edge
      // rate limit (gateway.bicep) or forge the X-Forwarded-For address the gateway sets.
      // Anything else gets 403 from App Service before the Functions host sees it.
      ipSecurityRestrictionsDefaultAction: 'Deny'
      ipSecurityRestrictions: [
        {
          name: 'api-management-gateway'
          description: 'The API Management gateway, through its integration subnet (Microsoft.Web service endpoint).'
          action: 'Allow'
          priority: 100
          vnetSubnetResourceId: gatewaySubnetId
        }
      ]
      // The deployment (SCM) site keeps its own rules: azd deploys the package there with an
      // Entra ID token (basic-auth publishing is off below).
      scmIpSecurityRestrictionsUseMain: false
      scmIpSecurityRestrictionsDefaultAction: 'Allow'
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      // All outbound traffic through the network, Key Vault reference resolution included.
      vnetRouteAllEnabled: !empty(virtualNetworkSubnetId)
      cors: {
        allowedOrigins: corsAllowedOrigins
        supportCredentials: true
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  // Flex Consumption sets FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION itself
  // (from functionAppConfig): they must not be app settings.
  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // Host storage (triggers, timers, Durable Functions task hub) via managed identity.
      AzureWebJobsStorage__accountName: storageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId

      // Application configuration (lib/config/config.ts validates all of these at start-up).
      ENGAGE_MODE: 'azure'
      AZURE_REGION: location
      ALLOWED_REGIONS: join(allowedRegions, ',')
      COSMOS_ENDPOINT: cosmosEndpoint
      COSMOS_DATABASE: cosmosDatabaseName
      COSMOS_PREFERRED_REGIONS: join(cosmosRegions, ',')
      BLOB_ENDPOINT: blobEndpoint
      ROSTER_UPLOAD_BLOB_ENDPOINT: rosterUploadBlobEndpoint
      AZURE_CLIENT_ID: identityClientId
      OIDC_ISSUERS: oidcIssuers
      PLATFORM_OPERATORS: platformOperators
      CORS_ALLOWED_ORIGINS: join(corsAllowedOrigins, ',')
      // Requests arrive only through the API Management gateway, which writes the client
      // address into X-Forwarded-For; App Service appends the gateway's: one hop is ours.
      TRUSTED_PROXY_HOPS: '1'
      // A reference, not the value: the platform resolves it from Key Vault. Versionless,
      // so it follows the latest version of the secret.
      PRIVACY_DIGEST_KEY: '@Microsoft.KeyVault(SecretUri=${privacyDigestKeySecretUri})'

      // Every setting the app reads is here, so a provision (which replaces the whole set)
      // never drops one an operator added by hand: docs/operations.md lists no manual settings.
      APP_VERSION: appVersion
      EMAIL_ENDPOINT: emailEndpoint
      EMAIL_SENDER_ADDRESS: emailSenderAddress
      // The SDK's items group with the host's under the app's name (cloud_RoleName).
      OTEL_SERVICE_NAME: name

      // Telemetry with Entra ID auth (the component has local auth disabled).
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identityClientId}'
    }
  }

  // No FTP / basic-auth publishing: deployments go through Entra ID (azd) only.
  resource ftpCredentials 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }

  resource scmCredentials 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }
}

@description('Function App name (azd SERVICE_API_NAME).')
output name string = functionApp.name

@description('Default host name, e.g. func-api-xyz.azurewebsites.net.')
output defaultHostName string = functionApp.properties.defaultHostName
