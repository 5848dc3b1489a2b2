// User-assigned managed identity for the Function App. Every data-plane grant (Storage,
// Cosmos DB, Application Insights) is made to this identity, so there are no keys anywhere.

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region (EU/EEA, checked in main.bicep).')
param location string

@description('Tags applied to the identity.')
param tags resourceTags

@description('Tag map.')
type resourceTags = { *: string }

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

@description('Resource ID of the identity.')
output id string = identity.id

@description('Client (application) ID, used for AZURE_CLIENT_ID and AzureWebJobsStorage__clientId.')
output clientId string = identity.properties.clientId

@description('Object (principal) ID, used for role assignments.')
output principalId string = identity.properties.principalId
