// Development: the gateway in front of the sample HR server, next to the dev Arbiter.
//   az deployment group create -g rg-arbiter-dev -f bicep/gateway.bicep -p bicep/gateway.dev.bicepparam
using 'gateway.bicep'

param environmentName = 'dev'
param applicationInsightsName = readEnvironmentVariable('ARBITER_APPLICATION_INSIGHTS', 'appi-arbiter-dev')
param arbiterEndpoint = readEnvironmentVariable('ARBITER_PUBLIC_BASE_URL', 'https://func-arbiter-dev.azurewebsites.net/')
param arbiterAudience = readEnvironmentVariable('ARBITER_AUTH_AUDIENCE', 'api://arbiter-dev')
param gatewayAudience = readEnvironmentVariable('ARBITER_GATEWAY_AUDIENCE', 'api://arbiter-gateway-dev')
param skuName = 'B1'
param upstreams = {
  hr: {
    url: readEnvironmentVariable('ARBITER_GATEWAY_HR_URL', 'https://hr-mcp-dev.azurewebsites.net/mcp')
    scope: readEnvironmentVariable('ARBITER_GATEWAY_HR_SCOPE', 'api://arbiter-samples-hr/.default')
    serverId: 'hr-mcp'
  }
}
