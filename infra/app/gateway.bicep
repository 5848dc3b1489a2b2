// The edge in front of the Function App: an Azure API Management gateway, tier Standard v2,
// that forwards /api/* to the app and limits every client IP address to a number of calls
// per period (429 with Retry-After beyond it). Standard v2 is a regional service deployed in
// `location` like everything else (P15); Front Door, the other Azure edge with rate limits,
// is global and processes requests at points of presence outside the EU/EEA.
// docs/infrastructure.md, "Rate limits at the edge", explains the choice and the numbers.
//
// No keys or secrets: the API needs no subscription key (the app authenticates callers with
// their own bearer tokens), there are no named values, and the gateway reaches the app over
// the integration subnet (network.bicep), not with a key or a certificate.

@description('API Management service name (1-50 letters, digits and hyphens, starting with a letter).')
@minLength(1)
@maxLength(50)
param name string

@description('Azure region (EU/EEA, checked in main.bicep).')
param location string

@description('Tags applied to the service.')
param tags resourceTags

@description('E-mail address API Management sends its service notifications to (publisherEmail).')
@minLength(3)
param publisherEmail string

@description('Organisation name shown as the API publisher (publisherName).')
@minLength(1)
param publisherName string

@description('Resource ID of the subnet the gateway sends its outbound traffic through (the one the Function App admits).')
param subnetId string

@description('Default host name of the Function App, e.g. func-api-xyz.azurewebsites.net.')
param backendHostName string

@description('Calls each client IP address may make per rateLimitPeriodSeconds, across all of /api.')
@minValue(1)
param rateLimitCalls int

@description('Length in seconds of the sliding window rateLimitCalls applies to (API Management allows at most 300).')
@minValue(1)
@maxValue(300)
param rateLimitPeriodSeconds int

@description('Tag map.')
type resourceTags = { *: string }

// The app serves everything under /api, so the gateway does too: the same paths, the same
// relative Location headers, /api/health for the availability test.
var apiPath = 'api'

// One wildcard operation per method: API Management only forwards requests that match an
// operation.
var methods = [
  'GET'
  'POST'
  'PUT'
  'PATCH'
  'DELETE'
  'OPTIONS'
  'HEAD'
]

// The API's policy, filled in with format(): {0} = calls, {1} = renewal period in seconds
// (a literal brace, e.g. in a C# policy expression, must be written {{ or }}).
// - rate-limit-by-key counts every request per client IP address (context.Request.IpAddress,
//   the address that opened the connection to the gateway: a caller cannot choose it) and
//   answers 429 Too Many Requests with Retry-After once the limit is reached, without
//   calling the app. The Edge-RateLimit-* headers carry the edge limit on every response;
//   they are named apart from the app's own RateLimit fields, which are per identity.
// - set-header replaces X-Forwarded-For with that same address, so the app sees the
//   caller rather than the gateway (App Service then appends the gateway's own address).
var policyTemplate = '''
<policies>
  <inbound>
    <base />
    <rate-limit-by-key calls="{0}" renewal-period="{1}" counter-key="@(context.Request.IpAddress)" retry-after-header-name="Retry-After" remaining-calls-header-name="Edge-RateLimit-Remaining" total-calls-header-name="Edge-RateLimit-Limit" />
    <set-header name="X-Forwarded-For" exists-action="override">
      <value>@(context.Request.IpAddress)</value>
    </set-header>
  </inbound>
  <backend>
    <base />
  </backend>
  <outbound>
    <base />
  </outbound>
  <on-error>
    <base />
  </on-error>
</policies>
'''

resource gateway 'Microsoft.ApiManagement/service@2024-05-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'StandardV2'
    capacity: 1
  }
  // The gateway holds no role assignment and uses no credential; its own identity (never
  // the app's, which can read and write all data) is there for anything added later.
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    publisherEmail: publisherEmail
    publisherName: publisherName
    publicNetworkAccess: 'Enabled'
    // Outbound VNet integration: requests to the app leave through the gateway subnet.
    virtualNetworkType: 'External'
    virtualNetworkConfiguration: {
      subnetResourceId: subnetId
    }
    // Nobody signs up for this API: no developer portal.
    developerPortalStatus: 'Disabled'
  }

  resource api 'apis' = {
    name: 'engage'
    properties: {
      displayName: 'Engage API'
      description: 'Forwards /api/* to the Function App, with a rate limit per client IP address.'
      path: apiPath
      serviceUrl: 'https://${backendHostName}/${apiPath}'
      protocols: [
        'https'
      ]
      // The app authenticates every caller itself (bearer JWT); a subscription key would add a
      // shared secret and nothing else.
      subscriptionRequired: false
      apiType: 'http'
      type: 'http'
    }

    resource operations 'operations' = [
      for method in methods: {
        name: 'all-${toLower(method)}'
        properties: {
          displayName: '${method} /api/*'
          method: method
          urlTemplate: '/*'
        }
      }
    ]

    resource policy 'policies' = {
      name: 'policy'
      properties: {
        format: 'rawxml'
        value: format(policyTemplate, rateLimitCalls, rateLimitPeriodSeconds)
      }
    }
  }
}

@description('API Management service name.')
output name string = gateway.name

@description('Gateway base URL, e.g. https://apim-xyz.azure-api.net.')
output gatewayUrl string = gateway.properties.gatewayUrl

@description('Base URL clients call: the gateway URL followed by /api.')
output apiBaseUrl string = '${gateway.properties.gatewayUrl}/${apiPath}'
