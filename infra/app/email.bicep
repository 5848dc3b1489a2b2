// Azure Communication Services Email for the policy notices and newsletters (P8, P18): an
// Email Communication Service with an Azure-managed domain, and a Communication Services
// resource linked to it that the app sends through with its managed identity (the resource's
// access keys are never read or handed out: no connection string anywhere). Both keep their data in the dataLocation given (Norway or Europe), and
// engagement tracking is off (no open or click tracking of pupils and staff).

@description('Suffix that makes the resource names unique.')
param resourceToken string

@description('Where Communication Services stores its data at rest: Norway or Europe (EU/EEA, P15).')
@allowed([
  'Norway'
  'Europe'
])
param dataLocation string

@description('Tags applied to every resource.')
param tags resourceTags

@description('Name of the Function App managed identity (seed for a stable role assignment name).')
param appIdentityName string

@description('Principal (object) ID of the Function App managed identity.')
param appPrincipalId string

@description('Tag map.')
type resourceTags = { *: string }

// Built-in "Communication and Email Service Owner": the role Entra ID-authenticated Email send needs.
var emailSenderRoleId = '09976791-48a7-449e-bb21-39d1a415f350'

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: 'ecs-${resourceToken}'
  location: 'global' // Communication Services are global resources; dataLocation says where data lives
  tags: tags
  properties: {
    dataLocation: dataLocation
  }

  resource domain 'domains' = {
    name: 'AzureManagedDomain'
    location: 'global'
    tags: tags
    properties: {
      domainManagement: 'AzureManaged'
      userEngagementTracking: 'Disabled'
    }
  }
}

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: 'acs-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [
      emailService::domain.id
    ]
  }
}

resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communication.id, appIdentityName, emailSenderRoleId)
  scope: communication
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', emailSenderRoleId)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

@description('EMAIL_ENDPOINT: the Communication Services endpoint the app sends through.')
output endpoint string = 'https://${communication.properties.hostName}'

@description('EMAIL_SENDER_ADDRESS: DoNotReply at the Azure-managed domain.')
output senderAddress string = 'DoNotReply@${emailService::domain.properties.mailFromSenderDomain}'
