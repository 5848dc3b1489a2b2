// Log Analytics workspace + workspace-based Application Insights. Local (key) auth is
// off: telemetry is accepted only from Entra ID identities that hold Monitoring Metrics
// Publisher (the Function App's managed identity).

@description('Log Analytics workspace name.')
param logAnalyticsName string

@description('Application Insights component name.')
param applicationInsightsName string

@description('Azure region (EU/EEA, checked in main.bicep).')
param location string

@description('Tags applied to both resources.')
param tags resourceTags

@description('Days telemetry is kept. Telemetry can hold pseudonymous identifiers, so keep it short: at most 89, the shortest "3 months".')
@minValue(30)
@maxValue(89)
param retentionInDays int

@description('Name of the Function App managed identity (seed for a stable role assignment name).')
param appIdentityName string

@description('Principal (object) ID of the Function App managed identity.')
param appPrincipalId string

@description('Tag map.')
type resourceTags = { *: string }

// Built-in "Monitoring Metrics Publisher".
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb'

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      disableLocalAuth: true
      enableLogAccessUsingOnlyResourcePermissions: true
    }
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
    DisableIpMasking: false
    // No RetentionInDays here: a workspace-based component keeps its data in the workspace's
    // tables, under the workspace's retention above (the component's own property accepts only
    // 30, 60, 90... and would not apply).
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appIdentityName, monitoringMetricsPublisherRoleId)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      monitoringMetricsPublisherRoleId
    )
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

@description('Application Insights resource ID.')
output applicationInsightsId string = appInsights.id

@description('Application Insights name.')
output applicationInsightsName string = appInsights.name

@description('Application Insights connection string (not a secret: ingestion needs an Entra ID token since local auth is off).')
output connectionString string = appInsights.properties.ConnectionString

@description('Log Analytics workspace resource ID.')
output logAnalyticsId string = logAnalytics.id
