// Monitoring (P12): availability test on /api/health (through the API Management gateway,
// the way every client calls it) with a metric alert; log alerts for retention jobs
// (heartbeat, failures and overdue work), erasures (overdue, not resumed), failed Durable
// Functions orchestrations, the 5xx rate and latency of requests; metric alerts for Cosmos DB
// throttling (429) and normalized RU consumption; and the action group every alert notifies.

@description('Suffix that makes the resource names unique.')
param resourceToken string

@description('Azure region (EU/EEA, checked in main.bicep) of the web test and the log alerts. Metric alerts are global resources.')
param location string

@description('EU region of the action group (a regional action group: notifications are processed there).')
param actionGroupLocation string

@description('Tags applied to every resource.')
param tags resourceTags

@description('Application Insights resource ID the test and alerts belong to.')
param applicationInsightsId string

@description('Log Analytics workspace resource ID (the Key Vault audit events the digest key alert reads).')
param logAnalyticsId string

@description('Cosmos DB account resource ID (throttling and RU consumption alerts).')
param cosmosAccountId string

@description('Base URL the API is called at, e.g. https://apim-xyz.azure-api.net/api: the API Management gateway, since the Function App admits no one else.')
param apiBaseUrl string

@description('E-mail address the action group notifies; empty (allowed in dev only, main.bicep) creates the group without receivers.')
param alertEmailAddress string

@description('Requests answered 5xx, in percent of all requests in 15 minutes, above which the error-rate alert fires.')
@minValue(1)
@maxValue(100)
param serverErrorPercentThreshold int = 5

@description('95th percentile of request duration in milliseconds, over 15 minutes, above which the latency alert fires.')
@minValue(100)
param latencyP95ThresholdMs int = 2000

@description('Requests Cosmos DB throttled (429) in 5 minutes above which the throttling alert fires.')
@minValue(1)
param cosmosThrottledRequestsThreshold int = 20

@description('Normalized RU consumption (percent of the provisioned maximum of the busiest partition) above which the RU alert fires.')
@minValue(1)
@maxValue(100)
param cosmosNormalizedRuThresholdPercent int = 90

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

// KQL of failed orchestrations: the Durable Functions extension logs every orchestration state
// change as a tracking event under the category Host.Triggers.DurableTask (Host.Results and
// this category stay at Information in host.json). Function names only: instance ids are kept
// out of the alert so it groups by orchestration.
var durableFailuresQuery = '''
traces
| where timestamp > ago(15m)
| where tostring(customDimensions.Category) == "Host.Triggers.DurableTask"
| where tostring(customDimensions["prop__functionType"]) == "Orchestrator" and tostring(customDimensions["prop__state"]) == "Failed"
| summarize failed = count() by orchestration = tostring(customDimensions["prop__functionName"])
'''

// KQL of the 5xx rate: the Functions host records every invocation as a request (Host.Results at
// Information). At least 20 requests, so one failure at night does not page anyone.
var serverErrorRateQueryTemplate = '''
requests
| where timestamp > ago(15m)
| summarize total = count(), failed = countif(toint(resultCode) >= 500)
| where total >= 20 and 100.0 * failed / total > __THRESHOLD__
| project reason = "Http5xxRate", failed, total
'''
var serverErrorRateQuery = replace(serverErrorRateQueryTemplate, '__THRESHOLD__', string(serverErrorPercentThreshold))

// KQL of latency: the 95th percentile of request duration over 15 minutes (timers and
// orchestrations are invocations too, so HTTP requests only: their names are the routes').
var latencyQueryTemplate = '''
requests
| where timestamp > ago(15m) and isnotempty(url)
| summarize p95 = percentile(duration, 95), total = count()
| where total >= 20 and p95 > __THRESHOLD__
| project reason = "LatencyP95", p95, total
'''
var latencyQuery = replace(latencyQueryTemplate, '__THRESHOLD__', string(latencyP95ThresholdMs))

// KQL of a new version of the privacy digest key (Key Vault AuditEvent through the diagnostic
// setting): the key that recognises erased people must never change unnoticed. A deliberate
// rotation fires it too, which is the point.
var digestKeyQuery = '''
AzureDiagnostics
| where TimeGenerated > ago(15m)
| where ResourceProvider == "MICROSOFT.KEYVAULT" and OperationName in ("SecretSet", "SecretRestore", "SecretRecover")
| where tostring(id_s) has "/secrets/privacy-digest-key" or tostring(requestUri_s) has "/secrets/privacy-digest-key"
| summarize versions = count() by operation = OperationName
'''

resource actionGroup 'Microsoft.Insights/actionGroups@2024-10-01-preview' = {
  name: 'ag-engage-ops-${resourceToken}'
  // A regional action group in an EU region (P15): notifications are processed there, not in
  // whichever region a global group picks. It holds no customer data either way.
  location: actionGroupLocation
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
    frequency: 'PT1H'
    timeRange: 'P2D'
  }
  {
    name: 'alert-retention-failures-${resourceToken}'
    displayName: 'Engage retention job failed or has overdue work'
    description: 'A retention run failed in some step (RetentionJobFailed), or work is past its deadline (RetentionJobOverdue, from a run or the hourly watch).'
    severity: 1
    query: jobFailuresQuery
    dimensions: ['job', 'reason']
    frequency: 'PT1H'
    timeRange: 'PT1H'
  }
  {
    name: 'alert-erasures-${resourceToken}'
    displayName: 'Engage erasure overdue, or erasures not being resumed'
    description: 'An accepted erasure has not completed within ERASURE_OVERDUE_HOURS, or the erasure-resume timer reported nothing for an hour.'
    severity: 1
    query: erasuresQuery
    dimensions: ['reason']
    frequency: 'PT1H'
    timeRange: 'PT1H'
  }
  {
    name: 'alert-orchestrations-failed-${resourceToken}'
    displayName: 'Engage Durable Functions orchestration failed'
    description: 'An orchestration (a retention job, an erasure, a report run) ended Failed in the last 15 minutes. The job or erasure alerts say what is left undone; this one says which orchestration broke.'
    severity: 1
    query: durableFailuresQuery
    dimensions: ['orchestration']
    frequency: 'PT15M'
    timeRange: 'PT15M'
  }
  {
    name: 'alert-server-errors-${resourceToken}'
    displayName: 'Engage API answering 5xx'
    description: 'More than serverErrorPercentThreshold percent of requests in 15 minutes answered 5xx (at least 20 requests).'
    severity: 1
    query: serverErrorRateQuery
    dimensions: ['reason']
    frequency: 'PT5M'
    timeRange: 'PT15M'
  }
  {
    name: 'alert-latency-${resourceToken}'
    displayName: 'Engage API slow'
    description: 'The 95th percentile of HTTP request duration over 15 minutes is above latencyP95ThresholdMs (at least 20 requests).'
    severity: 2
    query: latencyQuery
    dimensions: ['reason']
    frequency: 'PT5M'
    timeRange: 'PT15M'
  }
  {
    name: 'alert-digest-key-changed-${resourceToken}'
    displayName: 'Engage privacy digest key changed'
    description: 'A new version of the privacy-digest-key secret was written (Key Vault audit log). Unless it was a deliberate rotation, the key that recognises erased people was overwritten: restore the previous version (docs/infrastructure.md, "Privacy digest key").'
    severity: 1
    query: digestKeyQuery
    dimensions: ['operation']
    frequency: 'PT15M'
    timeRange: 'PT15M'
    onWorkspace: true
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
        rule.?onWorkspace ?? false ? logAnalyticsId : applicationInsightsId
      ]
      evaluationFrequency: rule.frequency
      windowSize: rule.frequency
      overrideQueryTimeRange: rule.timeRange == rule.frequency ? null : rule.timeRange
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

// Cosmos DB platform metrics: throttled requests (status 429) and normalized RU consumption
// (the busiest partition's share of its provisioned RU/s). Sustained 100% means throttling.
var cosmosMetricAlerts = [
  {
    name: 'alert-cosmos-throttled-${resourceToken}'
    description: 'Cosmos DB throttled more than cosmosThrottledRequestsThreshold requests (429) in 5 minutes: raise the autoscale maximum of the container named in the alert.'
    severity: 2
    metricName: 'TotalRequests'
    timeAggregation: 'Count'
    threshold: cosmosThrottledRequestsThreshold
    dimensions: [
      { name: 'StatusCode', operator: 'Include', values: ['429'] }
      { name: 'CollectionName', operator: 'Include', values: ['*'] }
    ]
    windowSize: 'PT5M'
  }
  {
    name: 'alert-cosmos-ru-${resourceToken}'
    description: 'Normalized RU consumption of a container above cosmosNormalizedRuThresholdPercent for 15 minutes: it is about to be throttled.'
    severity: 2
    metricName: 'NormalizedRUConsumption'
    timeAggregation: 'Maximum'
    threshold: cosmosNormalizedRuThresholdPercent
    dimensions: [
      { name: 'CollectionName', operator: 'Include', values: ['*'] }
    ]
    windowSize: 'PT15M'
  }
]

resource cosmosAlerts 'Microsoft.Insights/metricAlerts@2018-03-01' = [
  for rule in cosmosMetricAlerts: {
    name: rule.name
    location: 'global' // metric alerts are global resources
    tags: tags
    properties: {
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        cosmosAccountId
      ]
      evaluationFrequency: 'PT5M'
      windowSize: rule.windowSize
      autoMitigate: true
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion'
            name: rule.metricName
            metricNamespace: 'Microsoft.DocumentDB/databaseAccounts'
            metricName: rule.metricName
            timeAggregation: rule.timeAggregation
            operator: 'GreaterThan'
            threshold: rule.threshold
            dimensions: rule.dimensions
          }
        ]
      }
      actions: [
        {
          actionGroupId: actionGroup.id
        }
      ]
    }
  }
]

@description('Name of the availability test (the availabilityResults `name`).')
output webTestName string = webTest.name

@description('URL the availability test requests.')
output healthUrl string = healthUrl
