// Log Analytics + workspace-based Application Insights. Local (instrumentation key) auth is off, so the
// app ingests telemetry with its managed identity (Monitoring Metrics Publisher below).

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags { *: string }

@description('Log retention in days (30 is the free retention of the PerGB2018 tier).')
@minValue(30)
@maxValue(730)
param retentionInDays int

@description('Principal id of the app identity that sends telemetry.')
param appPrincipalId string

var monitoringMetricsPublisher = subscriptionResourceId(
  'Microsoft.Authorization/roleDefinitions',
  '3913510d-42f4-4e42-8a64-420c390055eb'
)

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2026-03-01' = {
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
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

resource appMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: monitoringMetricsPublisher
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The on-call workbook: the figures to look at first. Metric names and dimensions are in docs/telemetry.md.
var workbookQueries = [
  {
    name: 'decisions-by-outcome'
    title: 'Decisions by outcome'
    visualization: 'timechart'
    query: 'customMetrics | where name == "arbiter.decisions" | summarize decisions = sum(valueSum) by outcome = tostring(customDimensions.outcome), bin(timestamp, 5m) | render timechart'
  }
  {
    name: 'decision-latency'
    title: 'Decision latency p50 / p99 (ms, arbiter.decide spans)'
    visualization: 'timechart'
    query: 'dependencies | where name == "arbiter.decide" | summarize p50 = percentile(duration, 50), p99 = percentile(duration, 99) by bin(timestamp, 5m) | render timechart'
  }
  {
    name: 'denials-by-reason'
    title: 'Denials by reason'
    visualization: 'barchart'
    query: 'customMetrics | where name == "arbiter.decisions" and tostring(customDimensions.outcome) == "deny" | summarize denials = sum(valueSum) by reason = tostring(customDimensions.reason) | order by denials desc | render barchart'
  }
  {
    name: 'snapshot-age'
    title: 'Oldest snapshot age (s; past Snapshot:MaxStaleness decisions fail closed)'
    visualization: 'timechart'
    query: 'customMetrics | where name == "arbiter.snapshot.age" | summarize oldest = max(valueMax) by bin(timestamp, 5m) | render timechart'
  }
  {
    name: 'decision-log-backlog'
    title: 'Decision log backlog and losses'
    visualization: 'timechart'
    query: 'customMetrics | where name in ("arbiter.decision_log.queue_depth", "arbiter.decision_log.lost") | summarize value = max(valueMax) by name, bin(timestamp, 5m) | render timechart'
  }
  {
    name: 'sync-lag'
    title: 'Entra sync: minutes since the last successful run, per tenant'
    visualization: 'table'
    query: 'traces | where message startswith "Entra sync of tenant" and message has " ended Succeeded " | summarize lastSuccess = max(timestamp) by tenant = tostring(customDimensions.TenantId) | extend lagMinutes = datetime_diff("minute", now(), lastSuccess) | order by lagMinutes desc'
  }
]

var workbookContent = {
  version: 'Notebook/1.0'
  items: concat(
    [
      {
        type: 1
        name: 'title'
        content: {
          json: '## Arbiter operations\nDecisions, latency, denials, snapshot freshness, decision log and Entra sync. A stale snapshot or a growing backlog is what to look at first.'
        }
      }
    ],
    map(workbookQueries, q => {
      type: 3
      name: q.name
      content: {
        version: 'KqlItem/1.0'
        title: q.title
        query: q.query
        size: 0
        queryType: 0
        resourceType: 'microsoft.insights/components'
        visualization: q.visualization
        timeContext: {
          durationMs: 86400000
        }
      }
    })
  )
  fallbackResourceIds: [
    applicationInsights.id
  ]
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(applicationInsights.id, 'arbiter-operations')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Arbiter operations'
    category: 'workbook'
    sourceId: applicationInsights.id
    serializedData: string(workbookContent)
  }
}

output workbookId string = workbook.id
output applicationInsightsName string = applicationInsights.name
output applicationInsightsId string = applicationInsights.id
output logAnalyticsName string = logAnalytics.name
output logAnalyticsId string = logAnalytics.id
