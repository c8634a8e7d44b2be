// Development: small scale-out bound, the deploying developer gets data access for local debugging.
//   az deployment sub create -l swedencentral -f bicep/main.bicep -p bicep/main.dev.bicepparam
using 'main.bicep'

param environmentName = 'dev'
param location = readEnvironmentVariable('AZURE_LOCATION', 'swedencentral')

// Object id of the signed-in developer: export AZURE_PRINCIPAL_ID=$(az ad signed-in-user show --query id -o tsv)
param developerPrincipalId = readEnvironmentVariable('AZURE_PRINCIPAL_ID', '')

param authAudience = readEnvironmentVariable('ARBITER_AUTH_AUDIENCE', 'api://arbiter-dev')
param snapshotTenants = readEnvironmentVariable('ARBITER_SNAPSHOT_TENANTS', 'demo')
param snapshotMaxStaleness = '00:00:30'
param syncSchedule = '0 */5 * * * *'
param decisionRetentionDays = 30
param maximumInstanceCount = 10
param instanceMemoryMB = 2048
param logRetentionInDays = 30
