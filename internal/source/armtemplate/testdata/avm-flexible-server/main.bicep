metadata name = 'DBforPostgreSQL Flexible Servers (test reproduction)'
metadata description = 'The source main.json was compiled from; pgbaseline scans main.json when no bicep executable is on PATH.'

@description('Required. The name of the PostgreSQL flexible server.')
param name string

@description('Optional. Delegated subnet arm resource ID. Used for Private Access (virtual network integration).')
param delegatedSubnetResourceId string?

@description('Optional. The firewall rules to create in the PostgreSQL flexible server.')
param firewallRules firewallRuleType[]?

@description('Optional. Configuration details for private endpoints.')
param privateEndpoints privateEndpointSingleServiceType[]?

// ... the rest of the module's parameters, as in main.json.

resource flexibleServer 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: name
  location: location
  properties: {
    network: !empty(delegatedSubnetResourceId) && empty(firewallRules)
      ? {
          delegatedSubnetResourceId: delegatedSubnetResourceId
          privateDnsZoneArmResourceId: privateDnsZoneArmResourceId
          publicNetworkAccess: publicNetworkAccess
        }
      : {
          publicNetworkAccess: publicNetworkAccess
        }
  }
}

module server_privateEndpoints 'br/public:avm/res/network/private-endpoint:0.11.0' = [
  for (privateEndpoint, index) in (privateEndpoints ?? []): if (empty(delegatedSubnetResourceId)) {
    name: '${uniqueString(deployment().name, location)}-PostgreSQL-PrivateEndpoint-${index}'
    params: {
      subnetResourceId: privateEndpoint.subnetResourceId
    }
  }
]
