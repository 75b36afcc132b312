// A PostgreSQL flexible server in the style of the Azure Verified Module
// avm/res/db-for-postgre-sql/flexible-server. main.json is `bicep build main.bicep`.
metadata name = 'PostgreSQL flexible server'

@description('Server name.')
param name string

param location string = resourceGroup().location

@description('Key Vault holding the customer-managed key.')
param keyVaultName string

param cmkKeyName string = 'psql-cmk'

param userAssignedIdentityName string

param configurations configurationType[] = [
  { name: 'log_checkpoints', value: 'on' }
  { name: 'log_disconnections', value: 'on' }
]

param enableTelemetryLock bool = false

param workspaceResourceId string

type configurationType = {
  name: string
  value: string
}

func serverTag(serverName string) string => 'psql:${serverName}'

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: userAssignedIdentityName
}

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: name
  location: location
  tags: {
    workload: serverTag(name)
  }
  sku: {
    name: 'Standard_D2ds_v5'
    tier: 'GeneralPurpose'
  }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    version: '16'
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      passwordAuth: 'Disabled'
      tenantId: tenant().tenantId
    }
    dataEncryption: {
      type: 'AzureKeyVault'
      primaryKeyURI: '${keyVault.properties.vaultUri}keys/${cmkKeyName}'
      primaryUserAssignedIdentityId: identity.id
    }
    network: {
      publicNetworkAccess: 'Disabled'
    }
    backup: {
      backupRetentionDays: 14
      geoRedundantBackup: 'Enabled'
    }
  }
}

resource serverConfigurations 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = [for config in configurations: {
  parent: server
  name: config.name
  properties: {
    value: config.value
    source: 'user-override'
  }
}]

resource secureTransport 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: server
  name: 'require_secure_transport'
  properties: {
    value: 'on'
    source: 'user-override'
  }
}

resource serverLock 'Microsoft.Authorization/locks@2020-05-01' = if (enableTelemetryLock) {
  name: '${name}-lock'
  scope: server
  properties: {
    level: 'CanNotDelete'
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: '${name}-diagnostics'
  scope: server
  properties: {
    workspaceId: workspaceResourceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
  }
}

output resourceId string = server.id
