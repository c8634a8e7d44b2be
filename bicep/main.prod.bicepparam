// Production: no developer data access, 90-day decision log, wider scale-out.
//   export ARBITER_AUTH_AUDIENCE=api://<app-registration> ARBITER_SNAPSHOT_TENANTS=<tenant ids>
//   az deployment sub create -l swedencentral -f bicep/main.bicep -p bicep/main.prod.bicepparam
using 'main.bicep'

param environmentName = 'prod'
param location = readEnvironmentVariable('AZURE_LOCATION', 'swedencentral')
param developerPrincipalId = ''

param authAudience = readEnvironmentVariable('ARBITER_AUTH_AUDIENCE', 'api://arbiter')
param snapshotTenants = readEnvironmentVariable('ARBITER_SNAPSHOT_TENANTS', 'default')
param snapshotMaxStaleness = '00:00:30'
param syncSchedule = '0 */5 * * * *'
param syncEnabled = true
param decisionRetentionDays = 90
param otlpEndpoint = readEnvironmentVariable('ARBITER_OTLP_ENDPOINT', '')
param maximumInstanceCount = 100
param instanceMemoryMB = 2048
param logRetentionInDays = 90
