// Monitoring (P12): availability test on /api/health with a metric alert, a log alert for
// overdue retention jobs, and the action group both alerts notify.

@description('Suffix that makes the resource names unique.')
param resourceToken string

@description('Azure region (EU/EEA, checked in main.bicep). Action groups and metric alerts are global resources.')
param location string

@description('Tags applied to every resource.')
param tags resourceTags

@description('Application Insights resource ID the test and alerts belong to.')
param applicationInsightsId string

@description('Host name of the Function App, e.g. func-api-xyz.azurewebsites.net.')
param appHostName string

@description('E-mail address the action group notifies; empty creates the group without receivers.')
param alertEmailAddress string

@description('Availability test locations. EU only: see docs/infrastructure.md for the id-to-region table (the ids do not name the country they run in).')
@minLength(1)
param testLocations string[]

@description('Retention job names that must each complete every 26 hours, in addition to any job seen in the last two days.')
param retentionJobNames string[]

@description('Tag map.')
type resourceTags = { *: string }

var webTestName = 'webtest-health-${resourceToken}'
var healthUrl = 'https://${appHostName}/api/health'

// KQL for the retention alert: one row per (job, reason) that needs attention.
//  - a RetentionJobOverdue event in the last hour (the app's own scheduler says so), or
//  - a job that is expected (parameter) or was seen in the last two days but has no
//    RetentionJobCompleted event in the last 26 hours.
var retentionQueryTemplate = '''
let expected = dynamic(__EXPECTED_JOBS__);
let jobName = (d: dynamic) { coalesce(tostring(d.jobName), tostring(d.job)) };
let overdue = customEvents
    | where timestamp > ago(1h) and name == "RetentionJobOverdue"
    | summarize by job = jobName(customDimensions)
    | extend reason = "RetentionJobOverdue";
let known = union
    (print job = expected | mv-expand job to typeof(string)),
    (customEvents
        | where timestamp > ago(2d) and name startswith "RetentionJob"
        | project job = jobName(customDimensions))
    | where isnotempty(job)
    | distinct job;
let completed = customEvents
    | where timestamp > ago(26h) and name == "RetentionJobCompleted"
    | project job = jobName(customDimensions);
let missing = known
    | join kind=leftanti completed on job
    | extend reason = "NoCompletionIn26h";
union overdue, missing
| project job = iff(isempty(job), "(unknown)", job), reason
'''
var retentionQuery = replace(retentionQueryTemplate, '__EXPECTED_JOBS__', string(retentionJobNames))

resource actionGroup 'Microsoft.Insights/actionGroups@2024-10-01-preview' = {
  name: 'ag-engage-ops-${resourceToken}'
  location: 'global' // action groups are global resources; they hold no customer data
  tags: tags
  properties: {
    groupShortName: 'engage-ops'
    enabled: true
    emailReceivers: empty(alertEmailAddress)
      ? []
      : [
          {
            name: 'ops-email'
            emailAddress: alertEmailAddress
            useCommonAlertSchema: true
          }
        ]
  }
}

resource webTest 'Microsoft.Insights/webtests@2022-06-15' = {
  name: webTestName
  location: location
  // The hidden-link tag ties the test to the Application Insights component (required).
  tags: union(tags, { 'hidden-link:${applicationInsightsId}': 'Resource' })
  kind: 'standard'
  properties: {
    SyntheticMonitorId: webTestName
    Name: webTestName
    Description: 'GET ${healthUrl} every 5 minutes from EU test locations.'
    Enabled: true
    Frequency: 300
    Timeout: 30
    Kind: 'standard'
    RetryEnabled: true
    Locations: [for id in testLocations: { Id: id }]
    Request: {
      RequestUrl: healthUrl
      HttpVerb: 'GET'
      ParseDependentRequests: false
      FollowRedirects: false
    }
    ValidationRules: {
      ExpectedHttpStatusCode: 200
      IgnoreHttpStatusCode: false
      SSLCheck: true
      SSLCertRemainingLifetimeCheck: 7
    }
  }
}

resource availabilityAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-availability-${resourceToken}'
  location: 'global' // metric alerts are global resources
  tags: tags
  properties: {
    description: 'Fires when /api/health fails from 2 or more test locations within 5 minutes.'
    severity: 1
    enabled: true
    scopes: [
      webTest.id
      applicationInsightsId
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
      webTestId: webTest.id
      componentId: applicationInsightsId
      failedLocationCount: 2
    }
    actions: [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
}

resource retentionAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-retention-jobs-${resourceToken}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Engage retention job overdue'
    description: 'A retention job reported RetentionJobOverdue, or a retention job has not logged RetentionJobCompleted for 26 hours.'
    severity: 2
    enabled: true
    scopes: [
      applicationInsightsId
    ]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT1H'
    overrideQueryTimeRange: 'P2D'
    criteria: {
      allOf: [
        {
          query: retentionQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            {
              name: 'job'
              operator: 'Include'
              values: ['*']
            }
            {
              name: 'reason'
              operator: 'Include'
              values: ['*']
            }
          ]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

@description('Name of the availability test (the availabilityResults `name`).')
output webTestName string = webTest.name

@description('URL the availability test requests.')
output healthUrl string = healthUrl
