// Key Vault for the app's one secret: PRIVACY_DIGEST_KEY (written by digest-key-secret.bicep), the key of the keyed digests that
// recognise erased subjects and anonymised records without naming them. The Function App
// reads it through a Key Vault reference with its managed identity (Key Vault Secrets
// User). RBAC only: no access policies. Purge protection, because losing the key forfeits
// repeat detection of erasures (docs/infrastructure.md, "Privacy digest key").

@description('Key Vault name (3-24 letters, digits and hyphens).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region (EU/EEA, checked in main.bicep).')
param location string

@description('Tags applied to the vault.')
param tags resourceTags

@description('Public network access to the vault. Disabled once the vault has a private endpoint (private-endpoints.bicep).')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string

@description('Name of the Function App managed identity (seed for a stable role assignment name).')
param appIdentityName string

@description('Principal (object) ID of the Function App managed identity.')
param appPrincipalId string

@description('Tag map.')
type resourceTags = { *: string }

// Built-in "Key Vault Secrets User": read secret values, nothing else.
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    accessPolicies: []
    enableSoftDelete: true
    // Fixed at creation. The longest retention: a deleted vault (and with it the key) can
    // be recovered for 90 days, and purge protection stops anyone from purging it sooner.
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      defaultAction: publicNetworkAccess == 'Disabled' ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appIdentityName, keyVaultSecretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

@description('Key Vault name.')
output name string = vault.name

@description('URI of the privacy-digest-key secret without a version, so the Key Vault reference follows the latest version. The secret itself is written by digest-key-secret.bicep, once.')
output privacyDigestKeySecretUri string = '${vault.properties.vaultUri}secrets/privacy-digest-key'
