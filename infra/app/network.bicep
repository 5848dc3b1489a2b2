// The one subnet the API Management gateway (gateway.bicep) sends its traffic to the
// Function App from. API Management Standard v2 has no static outbound IP address, and the
// `ApiManagement` service tag covers only its control plane, so neither can tell the
// gateway's requests apart from anybody else's. Instead the gateway is integrated with this
// subnet (outbound VNet integration, delegated to Microsoft.Web/serverFarms) and the subnet
// carries a Microsoft.Web service endpoint: App Service then sees requests from the gateway
// as coming from this subnet, and the Function App's access restriction (api.bicep) admits
// this subnet only.
//
// Two more subnets carry the private networking (private-endpoints.bicep): the Function App's
// outbound VNet integration (delegated to Microsoft.App/environments, as Flex Consumption
// requires) and the private endpoints of Cosmos DB, Storage and Key Vault. The network is not
// peered or connected anywhere.

@description('Virtual network name.')
param name string

@description('Network security group name (attached to the gateway subnet).')
param securityGroupName string

@description('Azure region (EU/EEA, checked in main.bicep). API Management requires the network in its own region.')
param location string

@description('Tags applied to every resource.')
param tags resourceTags

@description('Tag map.')
type resourceTags = { *: string }

// Private address space used by nothing else: the network is not peered or connected, so
// it cannot clash. /26 is Microsoft's recommended size for a Standard v2 integration subnet;
// /24 leaves the Flex Consumption app room to scale out (one address per instance).
var addressSpace = '10.60.0.0/22'
var gatewaySubnetName = 'snet-gateway'
var gatewaySubnetPrefix = '10.60.0.0/26'
var appSubnetName = 'snet-app'
var appSubnetPrefix = '10.60.1.0/24'
var privateEndpointSubnetName = 'snet-private-endpoints'
var privateEndpointSubnetPrefix = '10.60.2.0/26'

// No custom rules: the default rules allow outbound traffic to the internet and Azure
// services (the Function App over the service endpoint) and deny all inbound traffic from
// the internet. The integration subnet only ever sends.
resource securityGroup 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: securityGroupName
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}

// The subnet is declared inside the network (not as a child resource) so that a redeploy
// of the network never tries to remove it.
resource network 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressSpace
      ]
    }
    subnets: [
      {
        name: gatewaySubnetName
        properties: {
          addressPrefix: gatewaySubnetPrefix
          networkSecurityGroup: {
            id: securityGroup.id
          }
          delegations: [
            {
              name: 'Microsoft.Web.serverFarms'
              properties: {
                serviceName: 'Microsoft.Web/serverFarms'
              }
            }
          ]
          serviceEndpoints: [
            {
              service: 'Microsoft.Web'
            }
          ]
        }
      }
      {
        name: appSubnetName
        properties: {
          addressPrefix: appSubnetPrefix
          networkSecurityGroup: {
            id: securityGroup.id
          }
          delegations: [
            {
              name: 'Microsoft.App.environments'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: privateEndpointSubnetName
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          networkSecurityGroup: {
            id: securityGroup.id
          }
          privateEndpointNetworkPolicies: 'Enabled'
        }
      }
    ]
  }
}

resource appSubnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' existing = {
  parent: network
  name: appSubnetName
}

resource privateEndpointSubnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' existing = {
  parent: network
  name: privateEndpointSubnetName
}

resource gatewaySubnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' existing = {
  parent: network
  name: gatewaySubnetName
}

@description('Resource ID of the gateway subnet: API Management integrates with it, and the Function App admits only it.')
output gatewaySubnetId string = gatewaySubnet.id

@description('Resource ID of the Function App\'s outbound integration subnet (delegated to Microsoft.App/environments).')
output appSubnetId string = appSubnet.id

@description('Resource ID of the subnet that holds the private endpoints.')
output privateEndpointSubnetId string = privateEndpointSubnet.id

@description('Resource ID of the virtual network (private DNS zones link to it).')
output networkId string = network.id
