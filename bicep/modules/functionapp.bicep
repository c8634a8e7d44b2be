// Flex Consumption Function App (Linux, .NET 10 isolated worker) running as the user-assigned identity.
// Every connection is identity-based; the app settings below are the configuration keys the app reads
// (documented in local.settings.sample.json; tests/Arbiter.Deployment.Tests checks they stay in step).

@description('Name of the Function App (also the azurewebsites.net host name).')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags { *: string }

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of the user-assigned identity (AZURE_CLIENT_ID for DefaultAzureCredential).')
param identityClientId string

@description('Storage account for AzureWebJobsStorage and the deployment package.')
param storageAccountName string

@description('Blob container holding the deployment package.')
param deploymentContainerName string

@description('Application Insights component the app sends telemetry to.')
param applicationInsightsName string

@description('Upper bound of instances the plan scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory per instance.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('Arbiter settings, one member per configuration section the app reads.')
param settings settingsType

@description('Values of the Arbiter app settings (see local.settings.sample.json for their meaning).')
type settingsType = {
  @description('Entra ID authority that issues caller tokens, e.g. https://login.microsoftonline.com/<tenant>/v2.0.')
  authAuthority: string
  @description('Audience (App ID URI or client id) of Arbiter\'s app registration.')
  authAudience: string
  @description('App role a caller needs to evaluate decisions.')
  authEvaluateRole: string
  @description('App role a caller needs for the admin API.')
  authAdminRole: string
  @description('Cosmos DB account endpoint.')
  cosmosEndpoint: string
  @description('Cosmos DB database.')
  cosmosDatabase: string
  cosmosPoliciesContainer: string
  cosmosDirectoryContainer: string
  cosmosGovernanceContainer: string
  cosmosDecisionsContainer: string
  @description('Comma-separated Arbiter tenants whose policy snapshot each instance holds.')
  snapshotTenants: string
  @description('Staleness bound (TimeSpan) past which decisions fail closed.')
  snapshotMaxStaleness: string
  @description('Microsoft Graph base URL.')
  graphBaseUrl: string
  @description('Entra tenant the directory sync reads.')
  graphTenantId: string
  @description('NCRONTAB schedule of the Entra sync timer.')
  syncSchedule: string
  syncEnabled: bool
  @description('Storage queue for governance review tasks.')
  reviewQueue: string
  @description('Client id of the app registration the reviewer page signs in with (ID tokens to https://<host>/review/signin-oidc); empty: the page has no Entra ID sign-in.')
  reviewClientId: string
  @description('Blob container of the snapshot checkpoints (fast cold starts).')
  checkpointContainer: string
  decisionRetentionDays: int
  @description('Optional OTLP endpoint for traces and metrics; empty sends to Application Insights only.')
  otlpEndpoint: string
}

resource storage 'Microsoft.Storage/storageAccounts@2026-06-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
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

// Keys are the configuration keys the app binds ("Section__Key"). FUNCTIONS_WORKER_RUNTIME and
// FUNCTIONS_EXTENSION_VERSION are not app settings on Flex Consumption: functionAppConfig.runtime sets them.
resource appSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: site
  name: 'appsettings'
  properties: {
    // Functions host storage, identity-based (no connection string, no key).
    AzureWebJobsStorage__accountName: storage.name
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    // DefaultAzureCredential picks the user-assigned identity from this (Cosmos, Graph, queues).
    AZURE_CLIENT_ID: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identityClientId}'

    Arbiter__PublicBaseUrl: 'https://${site.properties.defaultHostName}'
    Auth__Mode: 'EntraId' // Never Development in Azure: that mode trusts unsigned callers.
    Auth__Authority: settings.authAuthority
    Auth__Audience: settings.authAudience
    Auth__MetadataAddress: '' // empty: {Authority}/.well-known/openid-configuration
    Auth__EvaluateRole: settings.authEvaluateRole
    Auth__AdminRole: settings.authAdminRole
    Auth__DevelopmentTenant: '' // Read only in Development mode.
    Store__Kind: 'Cosmos'
    Store__SqlitePath: '' // Read only by the embedded store.
    Cosmos__AccountEndpoint: settings.cosmosEndpoint
    Cosmos__Database: settings.cosmosDatabase
    Cosmos__PoliciesContainer: settings.cosmosPoliciesContainer
    Cosmos__DirectoryContainer: settings.cosmosDirectoryContainer
    Cosmos__GovernanceContainer: settings.cosmosGovernanceContainer
    Cosmos__DecisionsContainer: settings.cosmosDecisionsContainer
    Cosmos__CreateIfNotExists: 'false' // Bicep creates them; data-plane RBAC cannot.
    Snapshot__Tenants: settings.snapshotTenants
    Snapshot__MaxStaleness: settings.snapshotMaxStaleness
    Snapshot__RefreshInterval: '00:00:00.200' // how often each instance reads the change feed
    // A cold instance loads the tenant from its checkpoint (one blob) and the change feed after it, not every document.
    Snapshot__Checkpoint__Enabled: 'true'
    Snapshot__Checkpoint__Storage__serviceUri: storage.properties.primaryEndpoints.blob
    Snapshot__Checkpoint__Container: settings.checkpointContainer
    Snapshot__Checkpoint__MaxAge: '01:00:00' // older checkpoints are not used (the tenant is read in full)
    Snapshot__Checkpoint__Interval: '00:05:00' // how often an instance writes one when its snapshot changed
    Graph__BaseUrl: settings.graphBaseUrl
    Graph__TenantId: settings.graphTenantId
    Graph__ClientId: identityClientId // The sync's managed identity (no secret: Graph__ClientSecret stays unset).
    Sync__Schedule: settings.syncSchedule
    Sync__Enabled: settings.syncEnabled ? 'true' : 'false'
    Governance__ReviewQueue: settings.reviewQueue
    // The review-task queue client (Azure SDK client configuration): the runtime storage account, with the identity.
    Governance__Queue__serviceUri: storage.properties.primaryEndpoints.queue
    Governance__QueueConnection: '' // unset: Governance:Queue
    // The reviewer page's Entra ID sign-in (OpenID Connect, ID token only, no secret): on when the client id is set.
    Review__EntraId__Instance: environment().authentication.loginEndpoint
    Review__EntraId__TenantId: settings.graphTenantId
    Review__EntraId__ClientId: settings.reviewClientId
    DecisionLog__RetentionDays: string(settings.decisionRetentionDays)
    DecisionLog__Durability: 'Journal' // an answer leaves once its record is written to the local journal, fsync'd right behind (JournalFsync: after the fsync; Memory: faster, a crash loses the queue)
    OTEL_EXPORTER_OTLP_ENDPOINT: settings.otlpEndpoint // empty: no OTLP export (the standard OpenTelemetry setting)
  }
}

output name string = site.name
output id string = site.id
output publicBaseUrl string = 'https://${site.properties.defaultHostName}'
output planName string = plan.name
