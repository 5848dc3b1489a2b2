// Operations workbook (P12): availability, retention job runs, erasure backlog.
// Portal: Application Insights > Workbooks > "Engage operations" (or Monitor > Workbooks).

@description('Azure region (EU/EEA, checked in main.bicep).')
param location string

@description('Tags applied to the workbook.')
param tags resourceTags

@description('Application Insights resource ID the workbook queries.')
param applicationInsightsId string

@description('Name of the availability test, to pick its results out of availabilityResults.')
param webTestName string

@description('Tag map.')
type resourceTags = { *: string }

var availabilityQuery = '''
availabilityResults
| where name == "__WEBTEST__"
| summarize availability = round(100.0 * countif(success == true) / count(), 2), tests = count() by location
| union (availabilityResults
    | where name == "__WEBTEST__"
    | summarize availability = round(100.0 * countif(success == true) / count(), 2), tests = count()
    | extend location = "All locations")
| order by location asc
'''

var jobRunsQuery = '''
customEvents
| where name startswith "RetentionJob" or name startswith "Job"
| extend job = coalesce(tostring(customDimensions.jobName), tostring(customDimensions.job), "(unknown)"),
         status = coalesce(tostring(customDimensions.status), name)
| summarize runs = count(), lastAt = max(timestamp) by job, status
| order by job asc, status asc
'''

var erasureBacklogQuery = '''
customMetrics
| where name == "ErasureBacklog"
| summarize backlog = max(valueMax) by bin(timestamp, 1h)
| order by timestamp asc
'''

// Requests the Functions host records (host.json keeps Host.Results at Information): the rate
// and latency the 5xx and latency alerts watch, hourly.
var requestHealthQuery = '''
requests
| where isnotempty(url)
| summarize requests = count(), serverErrorPercent = round(100.0 * countif(toint(resultCode) >= 500) / count(), 2), p95Ms = round(percentile(duration, 95), 0) by bin(timestamp, 1h)
| order by timestamp asc
'''

var components = 'microsoft.insights/components'

var workbookContent = {
  version: 'Notebook/1.0'
  items: [
    {
      type: 1
      name: 'intro'
      content: {
        json: '## Engage operations\nAvailability of `/api/health` (standard test, EU locations), request rate, 5xx share and latency, retention job runs and the erasure backlog. Alerts: Monitor > Alerts.'
      }
    }
    {
      type: 9
      name: 'parameters'
      content: {
        version: 'KqlParameterItem/1.0'
        parameters: [
          {
            id: 'c0b6b0c2-3f1e-4e55-9d35-2f3f3f0a1a01'
            version: 'KqlParameterItem/1.0'
            name: 'TimeRange'
            label: 'Time range'
            type: 4
            isRequired: true
            value: {
              durationMs: 86400000
            }
            typeSettings: {
              selectableValues: [
                { durationMs: 3600000 }
                { durationMs: 86400000 }
                { durationMs: 604800000 }
                { durationMs: 2592000000 }
              ]
            }
          }
        ]
      }
    }
    {
      type: 3
      name: 'availability'
      content: {
        version: 'KqlItem/1.0'
        title: 'Availability % of /api/health'
        query: replace(availabilityQuery, '__WEBTEST__', webTestName)
        size: 4
        queryType: 0
        resourceType: components
        timeContextFromParameter: 'TimeRange'
        visualization: 'tiles'
        tileSettings: {
          showBorder: false
          titleContent: {
            columnMatch: 'location'
            formatter: 1
          }
          leftContent: {
            columnMatch: 'availability'
            formatter: 12
            formatOptions: {
              palette: 'redGreen'
            }
            numberFormat: {
              unit: 1
              options: {
                style: 'decimal'
                maximumFractionDigits: 2
              }
            }
          }
          secondaryContent: {
            columnMatch: 'tests'
            formatter: 1
          }
        }
      }
    }
    {
      type: 3
      name: 'request-health'
      content: {
        version: 'KqlItem/1.0'
        title: 'HTTP requests per hour: count, % answered 5xx, 95th percentile duration (ms)'
        query: requestHealthQuery
        size: 0
        queryType: 0
        resourceType: components
        timeContextFromParameter: 'TimeRange'
        visualization: 'timechart'
      }
    }
    {
      type: 3
      name: 'job-runs'
      content: {
        version: 'KqlItem/1.0'
        title: 'Job runs by job name and status'
        query: jobRunsQuery
        size: 0
        queryType: 0
        resourceType: components
        timeContextFromParameter: 'TimeRange'
        visualization: 'table'
      }
    }
    {
      type: 3
      name: 'erasure-backlog'
      content: {
        version: 'KqlItem/1.0'
        title: 'Erasure backlog (customMetrics ErasureBacklog, hourly max)'
        query: erasureBacklogQuery
        size: 0
        queryType: 0
        resourceType: components
        timeContextFromParameter: 'TimeRange'
        visualization: 'timechart'
      }
    }
  ]
  fallbackResourceIds: [
    applicationInsightsId
  ]
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, 'engage-operations-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Engage operations'
    category: 'workbook'
    sourceId: applicationInsightsId
    serializedData: string(workbookContent)
  }
}

@description('Workbook resource ID.')
output id string = workbook.id
