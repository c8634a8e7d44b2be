// Cosmos DB (NoSQL, serverless): pay per request, nothing at rest but storage. Keys are off
// (disableLocalAuth); the app and the optional developer get the built-in data-plane Data Contributor
// role through sqlRoleAssignments. Every container is partitioned per Arbiter tenant; the decision log
// on a tenant-prefixed bucketed key ({tenant}:{hour}:{bucket}) so a busy tenant has no hot partition.

@description('Name of the Cosmos DB account (3-44 lowercase letters, digits and hyphens).')
@minLength(3)
@maxLength(44)
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags { *: string }

@description('Database name (Cosmos__Database).')
param databaseName string

@description('Decision log retention in days; Cosmos expires decision documents after it (container defaultTtl).')
@minValue(1)
@maxValue(3650)
param decisionRetentionDays int

@description('Principal id of the app identity.')
param appPrincipalId string

@description('Optional principal id of a developer (user) who runs the app locally against this account; empty for none.')
param developerPrincipalId string

@description('Container names, by role. Keys match the Cosmos__*Container settings.')
param containers {
  policies: string
  directory: string
  governance: string
  decisions: string
}

var tenantPartitionKey = {
  paths: [
    '/tenantId'
  ]
  kind: 'Hash'
  version: 2
}

resource account 'Microsoft.DocumentDB/databaseAccounts@2026-03-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    capabilities: [
      {
        name: 'EnableServerless'
      }
    ]
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2026-03-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
  }
}

// Documents that live until deleted: policies, directory facts, governance (baselines, reviews).
resource tenantContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2026-03-15' = [
  for containerName in [containers.policies, containers.directory, containers.governance]: {
    parent: database
    name: containerName
    properties: {
      resource: {
        id: containerName
        partitionKey: tenantPartitionKey
      }
    }
  }
]

// The decision log expires on its own: defaultTtl is in seconds.
resource decisions 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2026-03-15' = {
  parent: database
  name: containers.decisions
  properties: {
    resource: {
      id: containers.decisions
      // pk = '{tenant}:{yyyyMMddHH}:{bucket}' (docs/decision-log.md); every query still filters on tenantId.
      partitionKey: {
        paths: [
          '/pk'
        ]
        kind: 'Hash'
        version: 2
      }
      defaultTtl: decisionRetentionDays * 86400
      // Only what the queries select and order on (CosmosDecisionLogSink.IndexedPaths): the group items' tenant, time
      // range and value sets, and the fields of items of the earlier one-per-decision layout until their TTL removes
      // them. The compressed records (z) and old whole records (record) are read back, never filtered on: not indexed.
      indexingPolicy: {
        indexingMode: 'consistent'
        includedPaths: [
          {
            path: '/tenantId/?'
          }
          {
            path: '/sk/?'
          }
          {
            path: '/lo/?'
          }
          {
            path: '/ids/[]/?'
          }
          {
            path: '/agents/[]/?'
          }
          {
            path: '/subjects/[]/?'
          }
          {
            path: '/resources/[]/?'
          }
          {
            path: '/actions/[]/?'
          }
          {
            path: '/agentId/?'
          }
          {
            path: '/subjectId/?'
          }
          {
            path: '/subjectType/?'
          }
          {
            path: '/resourceId/?'
          }
          {
            path: '/resourceType/?'
          }
          {
            path: '/action/?'
          }
          {
            path: '/allowed/?'
          }
        ]
        excludedPaths: [
          {
            path: '/*'
          }
        ]
      }
    }
  }
}

// "Cosmos DB Built-in Data Contributor": data plane read/write of items, queries, change feed.
resource dataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions@2026-03-15' existing = {
  parent: account
  name: '00000000-0000-0000-0000-000000000002'
}

resource appDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2026-03-15' = {
  parent: account
  name: guid(account.id, appPrincipalId, dataContributor.id)
  properties: {
    roleDefinitionId: dataContributor.id
    principalId: appPrincipalId
    scope: account.id
  }
}

resource developerDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2026-03-15' = if (!empty(developerPrincipalId)) {
  parent: account
  name: guid(account.id, developerPrincipalId, dataContributor.id)
  properties: {
    roleDefinitionId: dataContributor.id
    principalId: developerPrincipalId
    scope: account.id
  }
}

output name string = account.name
output id string = account.id
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
