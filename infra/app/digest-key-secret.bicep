// Writes the privacy-digest-key secret: on the first provision of an environment, or on a
// deliberate rotation, and at no other time. main.bicep deploys this only when a key is given
// (ENGAGE_PRIVACY_DIGEST_KEY), so a later `azd provision` by anyone, with whatever local
// .env, leaves the key that recognises erased people alone. Every new version of the secret
// raises the alert alert-digest-key-changed (alerts.bicep).

@description('Key Vault name.')
param keyVaultName string

@description('Value of the privacy-digest-key secret (PRIVACY_DIGEST_KEY), at least 32 characters.')
@secure()
@minLength(32)
param privacyDigestKey string

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource privacyDigestKeySecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'privacy-digest-key'
  properties: {
    value: privacyDigestKey
    contentType: 'text/plain'
    attributes: {
      enabled: true
    }
  }
}
