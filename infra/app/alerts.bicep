// Monitoring (P12): availability test on /api/health (through the API Management gateway,
// the way every client calls it) with a metric alert; log alerts for retention jobs
// (heartbeat, failures and overdue work) and erasures (overdue, not resumed); and the
// action group every alert notifies.

@description('Suffix that makes the resource names unique.')
param resourceToken string

@description('Azure region (EU/EEA, checked in main.bicep). Action groups and metric alerts are global resources.')
param location string

@description('Tags applied to every resource.')
param tags resourceTags

@description('Application Insights resource ID the test and alerts belong to.')
param applicationInsightsId string

@description('Base URL the API is called at, e.g. https://apim-xyz.azure-api.net/api: the API Management gateway, since the Function App admits no one else.')
param apiBaseUrl string

@description('E-mail address the action group notifies; empty creates the group without receivers.')
param alertEmailAddress string

@description('Availability test locations. EU only: see docs/infrastructure.md for the id-to-region table (the ids do not name the country they run in).')
@minLength(1)
param testLocations string[]

@description('Retention job names that must each complete every 26 hours.')
@minLength(1)
param retentionJobNames string[]

@description('Tag map.')
type resourceTags = { *: string }

var webTestName = 'webtest-health-${resourceToken}'
var healthUrl = '${apiBaseUrl}/health'

// KQL of the heartbeat: one row per expected job without a RetentionJobCompleted event in the
// last 26 hours (a daily run plus two hours). The job list is a parameter whose default is the
// app's job definitions, so a job that stops completely keeps the alert firing.
var heartbeatQueryTemplate = '''
let expected = dynamic(__EXPECTED_JOBS__);
let jobName = (d: dynamic) { coalesce(tostring(d.jobName), tostring(d.job)) };
let completed = customEvents
    | where timestamp > ago(26h) and name == "RetentionJobCompleted"
    | project job = jobName(customDimensions);
print job = expected
| mv-expand job to typeof(string)
| join kind=leftanti completed on job
| extend reason = "NoCompletionIn26h"
'''
var heartbeatQuery = replace(heartbeatQueryTemplate, '__EXPECTED_JOBS__', string(retentionJobNames))

// KQL of job failures: a run that failed in any step, or work past its deadline (found by a run
// or by the job's hourly watch), in the last hour.
var jobFailuresQuery = '''
let jobName = (d: dynamic) { coalesce(tostring(d.jobName), tostring(d.job)) };
customEvents
| where timestamp > ago(1h) and name in ("RetentionJobFailed", "RetentionJobOverdue")
| summarize by job = jobName(customDimensions), reason = name
| project job = iff(isempty(job), "(unknown)", job), reason
'''

// KQL of erasures: overdue ones (the resume timer reports them every 5 minutes while they last),
// or a resume timer that reported nothing for an hour (nothing would restart a stuck erasure).
var erasuresQuery = '''
let overdue = customMetrics
    | where timestamp > ago(1h) and name == "ErasureOverdue"
    | summarize value = max(value)
    | where value > 0
    | project reason = "ErasureOverdue";
let silent = print reported = toscalar(customMetrics | where timestamp > ago(1h) and name == "ErasureBacklog" | count)
    | where reported == 0
    | project reason = "NoErasureResumeInOneHour";
union overdue, silent
'''

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

var logAlerts = [
  {
    name: 'alert-retention-heartbeat-${resourceToken}'
    displayName: 'Engage retention job without a completed run for 26 hours'
    description: 'A retention job (by default every job the app defines) has logged no RetentionJobCompleted for 26 hours: its timer, its orchestration or every run failed.'
    severity: 2
    query: heartbeatQuery
    dimensions: ['job', 'reason']
    timeRange: 'P2D'
  }
  {
    name: 'alert-retention-failures-${resourceToken}'
    displayName: 'Engage retention job failed or has overdue work'
    description: 'A retention run failed in some step (RetentionJobFailed), or work is past its deadline (RetentionJobOverdue, from a run or the hourly watch).'
    severity: 1
    query: jobFailuresQuery
    dimensions: ['job', 'reason']
    timeRange: 'PT1H'
  }
  {
    name: 'alert-erasures-${resourceToken}'
    displayName: 'Engage erasure overdue, or erasures not being resumed'
    description: 'An accepted erasure has not completed within ERASURE_OVERDUE_HOURS, or the erasure-resume timer reported nothing for an hour.'
    severity: 1
    query: erasuresQuery
    dimensions: ['reason']
    timeRange: 'PT1H'
  }
]

resource logAlertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in logAlerts: {
    name: rule.name
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        applicationInsightsId
      ]
      evaluationFrequency: 'PT1H'
      windowSize: 'PT1H'
      overrideQueryTimeRange: rule.timeRange == 'PT1H' ? null : rule.timeRange
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            dimensions: [
              for dimension in rule.dimensions: {
                name: dimension
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
]

@description('Name of the availability test (the availabilityResults `name`).')
output webTestName string = webTest.name

@description('URL the availability test requests.')
output healthUrl string = healthUrl
