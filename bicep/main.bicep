// Arbiter in one subscription-scoped deployment: a resource group holding the app identity, storage,
// Cosmos DB, monitoring and the Flex Consumption Function App. Each concern is a module in modules/.
targetScope = 'subscription'

@description('Environment name (dev, prod, or an azd environment); part of every resource name.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region for every resource (must offer Flex Consumption).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Resource group to create or reuse; defaults to rg-arbiter-<environmentName>.')
param resourceGroupName string = ''

@description('Optional object id of a developer (user) granted data access to storage and Cosmos DB for local debugging; leave empty in production.')
param developerPrincipalId string = ''

@description('Entra tenant that issues caller tokens and that the directory sync reads.')
param entraTenantId string = tenant().tenantId

@description('Audience of Arbiter\'s app registration (App ID URI or client id) that caller tokens must carry.')
param authAudience string

@description('App role a caller needs to evaluate decisions.')
param authEvaluateRole string = 'Decisions.Evaluate'

@description('App role a caller needs for the admin API.')
param authAdminRole string = 'Arbiter.Admin'

@description('Client id of the app registration the reviewer page (/review/) signs in with; its redirect URI is https://<host>/review/signin-oidc with ID tokens. Empty: no Entra ID sign-in on the page.')
param reviewClientId string = ''

@description('Comma-separated Arbiter tenants (partition keys) whose policy snapshot every instance holds.')
param snapshotTenants string

@description('Staleness bound of the in-memory snapshot (TimeSpan); past it decisions fail closed.')
param snapshotMaxStaleness string = '00:00:30'

@description('NCRONTAB schedule of the Entra ID sync timer.')
param syncSchedule string = '0 */5 * * * *'

@description('Whether the Entra ID sync timer runs (needs the Graph permissions from grant-graph-permissions.sh).')
param syncEnabled bool = true

@description('Days a decision stays in the decision log before Cosmos DB expires it.')
@minValue(1)
@maxValue(3650)
param decisionRetentionDays int = 90

@description('Microsoft Graph base URL the directory sync calls (national clouds differ).')
param graphBaseUrl string = 'https://graph.microsoft.com/v1.0'

@description('Optional OTLP endpoint for traces and metrics, in addition to Application Insights.')
param otlpEndpoint string = ''

@description('Upper bound of Function App instances.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per Function App instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Log Analytics retention in days.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Tags added to every resource.')
param tags { *: string } = {}

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var allTags = union(tags, { 'azd-env-name': environmentName, application: 'arbiter' })
var appName = 'func-arbiter-${resourceToken}'
var cosmosContainers = {
  policies: 'policies'
  directory: 'directory'
  governance: 'governance'
  decisions: 'decisions'
}
var reviewQueueName = 'review-tasks'
var storageAccountName = 'starbiter${resourceToken}'
var applicationInsightsName = 'appi-arbiter-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: empty(resourceGroupName) ? 'rg-arbiter-${environmentName}' : resourceGroupName
  location: location
  tags: allTags
}

module identity 'modules/identity.bicep' = {
  scope: rg
  params: {
    name: 'id-arbiter-${resourceToken}'
    location: location
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  scope: rg
  params: {
    logAnalyticsName: 'log-arbiter-${resourceToken}'
    applicationInsightsName: applicationInsightsName
    location: location
    tags: allTags
    retentionInDays: logRetentionInDays
    // Role assignment names need the principal id, which exists only once the identity does.
    #disable-next-line what-if-short-circuiting
    appPrincipalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  scope: rg
  params: {
    name: storageAccountName
    location: location
    tags: allTags
    deploymentContainerName: 'app-package-${take(appName, 32)}'
    reviewQueueName: reviewQueueName
    // Role assignment names need the principal id, which exists only once the identity does.
    #disable-next-line what-if-short-circuiting
    appPrincipalId: identity.outputs.principalId
    developerPrincipalId: developerPrincipalId
  }
}

module cosmos 'modules/cosmos.bicep' = {
  scope: rg
  params: {
    name: 'cosmos-arbiter-${resourceToken}'
    location: location
    tags: allTags
    databaseName: 'arbiter'
    containers: cosmosContainers
    decisionRetentionDays: decisionRetentionDays
    // Role assignment names need the principal id, which exists only once the identity does.
    #disable-next-line what-if-short-circuiting
    appPrincipalId: identity.outputs.principalId
    developerPrincipalId: developerPrincipalId
  }
}

// Names known up front (not module outputs) feed existing-resource lookups so what-if can predict
// them; storage is ordered by its outputs used below, monitoring needs the explicit dependsOn.
module functionApp 'modules/functionapp.bicep' = {
  scope: rg
  dependsOn: [
    monitoring
  ]
  params: {
    name: appName
    planName: 'plan-arbiter-${resourceToken}'
    location: location
    tags: allTags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storageAccountName
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: applicationInsightsName
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    settings: {
      authAuthority: '${environment().authentication.loginEndpoint}${entraTenantId}/v2.0'
      authAudience: authAudience
      authEvaluateRole: authEvaluateRole
      authAdminRole: authAdminRole
      cosmosEndpoint: cosmos.outputs.endpoint
      cosmosDatabase: cosmos.outputs.databaseName
      cosmosPoliciesContainer: cosmosContainers.policies
      cosmosDirectoryContainer: cosmosContainers.directory
      cosmosGovernanceContainer: cosmosContainers.governance
      cosmosDecisionsContainer: cosmosContainers.decisions
      snapshotTenants: snapshotTenants
      snapshotMaxStaleness: snapshotMaxStaleness
      graphBaseUrl: graphBaseUrl
      graphTenantId: entraTenantId
      syncSchedule: syncSchedule
      syncEnabled: syncEnabled
      reviewQueue: storage.outputs.reviewQueueName
      reviewClientId: reviewClientId
      checkpointContainer: storage.outputs.checkpointContainerName
      decisionRetentionDays: decisionRetentionDays
      otlpEndpoint: otlpEndpoint
    }
  }
}

// Names, ids and endpoints only: nothing here is a secret. Upper-case names are read by azd.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = functionApp.outputs.name
output functionAppName string = functionApp.outputs.name
output publicBaseUrl string = functionApp.outputs.publicBaseUrl
output identityName string = identity.outputs.name
output identityClientId string = identity.outputs.clientId
output identityPrincipalId string = identity.outputs.principalId
output cosmosAccountName string = cosmos.outputs.name
output cosmosEndpoint string = cosmos.outputs.endpoint
output storageAccountName string = storage.outputs.name
output applicationInsightsName string = monitoring.outputs.applicationInsightsName
