// The MCP gateway (src/Arbiter.Gateway) as a code-deployed Linux App Service app (no container): an always-on
// reverse proxy holding long-lived SSE streams, which a consumption Function App is not built for. Its own
// user-assigned identity gets tokens for Arbiter (the evaluate role, granted in Entra ID) and for each upstream.

@description('Name of the gateway web app.')
param name string

@description('Name of its App Service plan.')
param planName string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags { *: string }

@description('App Service plan SKU: P0v3 keeps the SSE streams of a production gateway on a dedicated instance.')
param skuName string

@description('Resource id of the gateway\'s user-assigned identity.')
param identityId string

@description('Client id of that identity (DefaultAzureCredential picks it from AZURE_CLIENT_ID).')
param identityClientId string

@description('Principal id of that identity (its telemetry ingestion role).')
param identityPrincipalId string

@description('Application Insights component the gateway reports to.')
param applicationInsightsName string

@description('Issuer of the callers\' tokens, e.g. https://login.microsoftonline.com/{tenant}/v2.0.')
param authority string

@description('Audience of the callers\' tokens: the gateway\'s own Application ID URI.')
param audience string

@description('Arbiter\'s base URL and the scope of the gateway\'s token to it.')
param arbiterEndpoint string
param arbiterScope string

@description('The MCP servers behind the gateway: route name -> { url, scope, serverId }.')
param upstreams { *: { url: string, scope: string, serverId: string } }

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'linux'
  sku: {
    name: skuName
  }
  properties: {
    reserved: true // Linux
  }
}

var upstreamSettings = reduce(items(upstreams), {}, (settings, upstream) => union(settings, {
  'Gateway__Upstreams__${upstream.key}__Url': upstream.value.url
  'Gateway__Upstreams__${upstream.key}__Scope': upstream.value.scope
  'Gateway__Upstreams__${upstream.key}__Arbiter__ServerId': upstream.value.serverId
}))

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'gateway' })
  kind: 'app,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'DOTNETCORE|10.0'
      appCommandLine: 'dotnet Arbiter.Gateway.dll'
      alwaysOn: true
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      healthCheckPath: '/health'
    }
  }
}

// Keys are the configuration keys the gateway binds ("Section__Key"); upstreams as Gateway__Upstreams__{name}__*.
resource appSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: site
  name: 'appsettings'
  properties: union({
    AZURE_CLIENT_ID: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identityClientId}'
    Gateway__Authority: authority
    Gateway__Audience: audience
    Arbiter__Client__Endpoint: arbiterEndpoint
    Arbiter__Client__Scope: arbiterScope
  }, upstreamSettings)
}

// Application Insights has local auth off: the gateway ingests with its identity.
var monitoringMetricsPublisher = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '3913510d-42f4-4e42-8a64-420c390055eb')

resource telemetryRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identityPrincipalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: monitoringMetricsPublisher
  }
}

// Publishing credentials (basic auth for FTP and SCM) stay off: deployments sign in with Entra ID.
resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output url string = 'https://${site.properties.defaultHostName}'
