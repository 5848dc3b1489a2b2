// EU/EEA residency guard-rail (P15): the built-in "Allowed locations" policy, assigned to
// the resource group with the same region list as main.bicep's `location` parameter.
// Resources in 'global' (action groups, metric alerts) are exempt by the policy itself.

@description('EU/EEA regions resources may be created in.')
@minLength(1)
param allowedLocations string[]

// Built-in "Allowed locations".
var allowedLocationsDefinitionId = 'e56962a6-4747-49cd-b67b-bf8b01975c4c'

resource allowedLocationsAssignment 'Microsoft.Authorization/policyAssignments@2025-03-01' = {
  name: 'engage-allowed-locations'
  properties: {
    displayName: 'Engage: resources only in EU/EEA regions (P15)'
    description: 'Denies creating resources in this resource group outside the EU/EEA regions listed.'
    policyDefinitionId: tenantResourceId('Microsoft.Authorization/policyDefinitions', allowedLocationsDefinitionId)
    enforcementMode: 'Default'
    parameters: {
      listOfAllowedLocations: {
        value: allowedLocations
      }
    }
    nonComplianceMessages: [
      {
        message: 'Engage keeps children\'s data in the EU/EEA (P15): use one of the allowed regions.'
      }
    ]
  }
}

@description('Policy assignment resource ID.')
output id string = allowedLocationsAssignment.id
