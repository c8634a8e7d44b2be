// The MCP gateway, deployed next to an existing Arbiter (bicep/main.bicep) into its resource group:
//   az deployment group create -g rg-arbiter-dev -f bicep/gateway.bicep -p bicep/gateway.dev.bicepparam
// Its own identity: grant it Arbiter's evaluate app role and each upstream's app role in Entra ID (app roles are
// directory objects, not ARM resources).
targetScope = 'resourceGroup'

@description('Environment name (dev, prod); part of every resource name.')
param environmentName string

@description('Azure region.')
param location string = resourceGroup().location

@description('Application Insights component of the Arbiter deployment (output applicationInsightsName of main.bicep).')
param applicationInsightsName string

@description('Arbiter\'s base URL (output publicBaseUrl of main.bicep) and its Application ID URI.')
param arbiterEndpoint string
param arbiterAudience string

@description('The gateway\'s own Application ID URI: callers\' tokens must carry it as audience.')
param gatewayAudience string

@description('Tenant whose Entra ID issues the callers\' tokens.')
param entraTenantId string = tenant().tenantId

@description('App Service plan SKU.')
param skuName string = 'P0v3'

@description('The MCP servers behind the gateway: route name -> { url, scope, serverId }.')
param upstreams { *: { url: string, scope: string, serverId: string } }

@description('Tags for every resource.')
param tags { *: string } = {}

var resourceToken = toLower(uniqueString(resourceGroup().id, environmentName, 'gateway'))
var allTags = union(tags, { 'azd-env-name': environmentName, application: 'arbiter' })

module identity 'modules/identity.bicep' = {
  params: {
    name: 'id-arbiter-gw-${resourceToken}'
    location: location
    tags: allTags
  }
}

module gateway 'modules/gateway.bicep' = {
  params: {
    name: 'app-arbiter-gw-${resourceToken}'
    planName: 'plan-arbiter-gw-${resourceToken}'
    location: location
    tags: allTags
    skuName: skuName
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    // Role assignment names need the principal id, which exists only once the identity does.
    #disable-next-line what-if-short-circuiting
    identityPrincipalId: identity.outputs.principalId
    applicationInsightsName: applicationInsightsName
    authority: '${environment().authentication.loginEndpoint}${entraTenantId}/v2.0'
    audience: gatewayAudience
    arbiterEndpoint: arbiterEndpoint
    arbiterScope: '${arbiterAudience}/.default'
    upstreams: upstreams
  }
}

// Names, ids and endpoints only: nothing here is a secret.
output gatewayName string = gateway.outputs.name
output gatewayUrl string = gateway.outputs.url
output gatewayIdentityClientId string = identity.outputs.clientId
output gatewayIdentityPrincipalId string = identity.outputs.principalId
