// Microsoft Defender for Cloud plans for the services that hold the data: threat detection on
// Cosmos DB (anomalous access, SQL injection patterns), Storage (malware upload, unusual
// access), Key Vault (unusual secret access) and App Service (the Function App). Pricing plans
// are subscription-wide: enabling one covers every resource of its type in the subscription.
targetScope = 'subscription'

var plans = [
  { name: 'CosmosDbs', subPlan: null }
  { name: 'StorageAccounts', subPlan: 'DefenderForStorageV2' }
  { name: 'KeyVaults', subPlan: 'PerKeyVault' }
  { name: 'AppServices', subPlan: null }
]

// One at a time: the pricings API refuses concurrent changes in a subscription.
@batchSize(1)
resource pricings 'Microsoft.Security/pricings@2024-01-01' = [
  for plan in plans: {
    name: plan.name
    properties: {
      pricingTier: 'Standard'
      subPlan: plan.subPlan
    }
  }
]
