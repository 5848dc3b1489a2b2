/**
 * Checks the compiled ARM template (infra/build/main.json, written by
 * `bash scripts/bicep-build.sh`) for the promises the infrastructure makes:
 * EU/EEA residency (P15), identity-only data access, retention limits, lifecycle rules,
 * monitoring (P12), the Key Vault holding PRIVACY_DIGEST_KEY, the Cosmos DB container design and
 * the edge: the API Management gateway with its rate limit per client IP, the only caller the
 * Function App admits.
 *
 * Bicep modules compile into Microsoft.Resources/deployments resources whose inner
 * templates hold the real resources, so every check walks the templates recursively and
 * traces `[parameters('x')]` / `[variables('x')]` expressions back to their source.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { it, expect } from 'vitest';
import { bicepSources, ROOT, TEMPLATE_PATH } from '../support/arm-template-build.js';
import { featureJobs } from '../../lib/app/feature.js';
import { CONTAINERS, type ContainerDefinition } from '../../lib/data/containers.js';
import { FEATURES } from '../../lib/features.js';
import { BLOB_CONTAINERS } from '../../lib/storage/blob-containers.js';
import { ROSTER_UPLOADS_CONTAINER } from '../../lib/roster-import/roster-uploads.js';
import { EU_EEA_REGIONS } from '../../lib/config/eu-regions.js';
import { SHORTEST_THREE_MONTHS_DAYS } from '../../lib/usage/retention-policy.js';
import {
  all,
  allowedRegions,
  appSettings,
  BUILD_HINT,
  byType,
  EU_EEA_COUNTRIES,
  EUROPEAN_AZURE_REGIONS,
  frameWith,
  inlineVariables,
  literal,
  one,
  paramsReferenced,
  resourcesOf,
  rootParam,
  suite,
  template,
  trace,
  upperBound,
  type ArmParameter,
  type Found,
  type Frame,
  type Json,
} from './arm-template-model.js';

// ---------------------------------------------------------------------------------------
// Reference data
// ---------------------------------------------------------------------------------------

/** EU/EEA regions where Azure offers Functions Flex Consumption (Microsoft's region list). */
const FLEX_CONSUMPTION_EU_REGIONS = [
  'francecentral', 'germanywestcentral', 'italynorth', 'northeurope', 'norwayeast', 'polandcentral', 'spaincentral', 'swedencentral', 'westeurope',
];

/** Regions that must never be allowed (outside the EU/EEA). */
const NON_EU_EEA_REGIONS = [
  'uksouth', 'ukwest', 'switzerlandnorth', 'switzerlandwest', 'eastus', 'eastus2', 'westus', 'westus2',
  'westus3', 'centralus', 'northcentralus', 'southcentralus', 'canadacentral', 'brazilsouth', 'uaenorth',
  'qatarcentral', 'israelcentral', 'southafricanorth', 'centralindia', 'eastasia', 'southeastasia',
  'japaneast', 'koreacentral', 'australiaeast',
];

/**
 * Availability test location ids and the Azure region they run in (Microsoft's table:
 * the ids do not name the country, e.g. emea-gb-db3-azr is Dublin, emea-se-sto-edge is UK West).
 */
const AVAILABILITY_TEST_LOCATIONS: Record<string, string> = {
  'emea-nl-ams-azr': 'westeurope',
  'emea-gb-db3-azr': 'northeurope',
  'emea-fr-pra-edge': 'francecentral',
  'emea-ch-zrh-edge': 'francesouth',
  'emea-se-sto-edge': 'ukwest',
  'emea-ru-msa-edge': 'uksouth',
};

/** Resource types that are global by definition (and hold no customer data). */
const GLOBAL_TYPES = new Set([
  'microsoft.insights/metricalerts',
  'microsoft.network/privatednszones',
  'microsoft.network/privatednszones/virtualnetworklinks',
  // Communication Services are global; their dataLocation (Norway or Europe) says where data lives (tests/infra/settings.test.ts).
  'microsoft.communication/emailservices',
  'microsoft.communication/emailservices/domains',
  'microsoft.communication/communicationservices',
]);

/** Resource types placed in a region of their own parameter (EU/EEA-only allowed values), not `location`. */
const OWN_REGION_TYPES: Record<string, string> = { 'microsoft.insights/actiongroups': 'actionGroupLocation' };

/** Top-level types that take no location (extension / deployment resources). */
const LOCATIONLESS_TYPES = new Set([
  'microsoft.authorization/roleassignments',
  'microsoft.authorization/policyassignments',
  'microsoft.authorization/locks',
  'microsoft.insights/diagnosticsettings',
  'microsoft.security/pricings',
  'microsoft.resources/deployments',
]);

const ALLOWED_LOCATIONS_POLICY = '/providers/Microsoft.Authorization/policyDefinitions/e56962a6-4747-49cd-b67b-bf8b01975c4c';
const ALLOWED_RG_LOCATIONS_POLICY = '/providers/Microsoft.Authorization/policyDefinitions/e765b5de-1225-4ba3-bd56-1ac6695af988';

const ROLE = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  storageBlobDelegator: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
  cosmosDataContributor: '00000000-0000-0000-0000-000000000002',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
};

/** App settings that hold a secret and therefore must be Key Vault references, never values. */
const KEY_VAULT_REFERENCE_SETTINGS = new Set(['PRIVACY_DIGEST_KEY']);

/** The container design (partition key paths) the brief and lib/ agree on. */
const EXPECTED_CONTAINERS: Record<string, string[]> = {
  platform: ['/pk'],
  identities: ['/id'],
  directory: ['/municipalityId'],
  records: ['/municipalityId', '/studentId'],
  audit: ['/municipalityId', '/month'],
  usage: ['/municipalityId', '/accountBucket'],
  ledger: ['/pk'],
  jobs: ['/pk'],
  reports: ['/municipalityId'],
  exports: ['/municipalityId'],
  sessions: ['/id'],
};


function gatewayFrame(): Frame {
  return frameWith('Microsoft.ApiManagement/service');
}

/** The default value of the root parameter an expression in `frame` comes from. */
function rootDefault(value: Json, frame: Frame): { name: string; value: Json; param: ArmParameter } {
  const source = trace(value, frame);
  if (source.kind !== 'root-param') throw new Error(`${JSON.stringify(value)} in ${frame.path} does not come from a main.bicep parameter`);
  return { name: source.name, value: source.param.defaultValue, param: source.param };
}

/**
 * The API policy XML as deployed with main.bicep's defaults: the policy value is
 * `[format(variables('<template>'), parameters('a'), parameters('b'), ...)]`, each parameter
 * traced back to its root default. Also returns the root parameters behind {0}, {1}, ...
 */
function renderedPolicy(): { xml: string; args: { name: string; value: Json; param: ArmParameter }[] } {
  const { resource, frame } = one('Microsoft.ApiManagement/service/apis/policies');
  expect(resource.properties?.format).toBe('rawxml');
  const match = /^\[format\(variables\('([^']+)'\), (.+)\)\]$/.exec(String(resource.properties?.value));
  expect(match, 'policy value is format(variables(template), parameters...)').not.toBeNull();
  const templateXml = frame.template.variables?.[match?.[1] as string];
  expect(typeof templateXml).toBe('string');
  const args = String(match?.[2]).split(/,\s*/).map((arg) => rootDefault(`[${arg}]`, frame));
  const xml = (templateXml as string).replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)]?.value));
  return { xml, args };
}

/** The API policy XML as written in gateway.bicep, with its {0}, {1} placeholders. */
function gatewayPolicyTemplate(): string {
  const { resource, frame } = one('Microsoft.ApiManagement/service/apis/policies');
  const variable = /variables\('([^']+)'\)/.exec(String(resource.properties?.value))?.[1];
  return String(frame.template.variables?.[variable as string]);
}

/** Attributes of the first `<tag .../>` or `<tag ...>` element in `xml`. */
function xmlElement(xml: string, tag: string): Record<string, string> | undefined {
  const element = new RegExp(`<${tag}\\s([^>]*?)/?>`).exec(xml)?.[1];
  if (element === undefined) return undefined;
  return Object.fromEntries([...element.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1] as string, m[2] as string]));
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

suite('compiled ARM template (infra/build/main.json)', () => {
  it('exists and is newer than every Bicep source', () => {
    expect(existsSync(TEMPLATE_PATH), `${relative(ROOT, TEMPLATE_PATH)} is missing: ${BUILD_HINT}`).toBe(true);
    const built = statSync(TEMPLATE_PATH).mtimeMs;
    for (const source of bicepSources()) {
      expect(statSync(source).mtimeMs, `${relative(ROOT, source)} changed after the build: ${BUILD_HINT}`).toBeLessThanOrEqual(built);
    }
  });
});

suite('EU/EEA residency (P15)', () => {
  it('allows only EU/EEA regions for location, all of them real Azure regions', () => {
    const allowed = allowedRegions('location');
    expect(allowed.length).toBeGreaterThan(0);
    for (const region of allowed) {
      const country = EUROPEAN_AZURE_REGIONS[region];
      expect(country, `${region} is not a known European Azure region`).toBeDefined();
      expect(EU_EEA_COUNTRIES.has(country as string), `${region} is in ${country}, outside the EU/EEA`).toBe(true);
    }
    for (const region of NON_EU_EEA_REGIONS) {
      expect(allowed, `${region} must not be allowed`).not.toContain(region);
    }
    expect(rootParam('location').defaultValue, 'location has no default: azd asks for it').toBeUndefined();
  });

  it('narrows location to EU/EEA regions of the app\'s list (lib/config/eu-regions.ts) that offer Flex Consumption, all with zones; the secondary region takes the whole list', () => {
    expect(new Set(allowedRegions('location'))).toEqual(new Set(FLEX_CONSUMPTION_EU_REGIONS));
    const zoneRegions = template().variables?.zoneRegions as string[];
    for (const region of allowedRegions('location')) {
      expect(EU_EEA_REGIONS, region).toContain(region);
      expect(zoneRegions, `${region} has availability zones`).toContain(region);
    }
    expect(new Set(allowedRegions('secondaryLocation'))).toEqual(new Set(EU_EEA_REGIONS));
    expect(rootParam('secondaryLocation').defaultValue).toBe('');
  });

  it('puts every resource in the location parameter, or global where the type requires it', () => {
    let checked = 0;
    for (const { resource, frame, symbol } of all()) {
      const type = resource.type.toLowerCase();
      const where = `${frame.path}/${symbol} (${resource.type})`;
      if (resource.location === undefined) {
        const topLevel = type.split('/').length === 2;
        expect(!topLevel || LOCATIONLESS_TYPES.has(type), `${where} has no location`).toBe(true);
        continue;
      }
      checked++;
      if (GLOBAL_TYPES.has(type)) {
        expect(resource.location, where).toBe('global');
        continue;
      }
      // A subscription-scope module's deployment record sits where main.bicep's deployment does:
      // azd deploys at AZURE_LOCATION, the value it passes as `location` too.
      if (type === 'microsoft.resources/deployments' && resource.location === '[deployment().location]') continue;
      const ownRegion = OWN_REGION_TYPES[type];
      if (ownRegion !== undefined) {
        expect(trace(resource.location, frame), where).toMatchObject({ kind: 'root-param', name: ownRegion });
        for (const region of allowedRegions(ownRegion)) {
          expect(EU_EEA_COUNTRIES.has(EUROPEAN_AZURE_REGIONS[region] ?? ''), `${where}: ${region} is not EU/EEA`).toBe(true);
        }
        continue;
      }
      const source = trace(resource.location, frame);
      expect(source, `${where} must take its location from main.bicep's location parameter`).toMatchObject({
        kind: 'root-param',
        name: 'location',
      });
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('keeps Cosmos DB replicas in location and the optional EU/EEA secondaryLocation only', () => {
    const { frame } = one('Microsoft.DocumentDB/databaseAccounts');
    const replicas = frame.template.variables?.replicaLocations;
    expect(typeof replicas).toBe('string');
    const referenced = paramsReferenced(replicas as string);
    expect(referenced.length).toBeGreaterThan(0);
    for (const name of referenced) {
      const source = trace(`[parameters('${name}')]`, frame);
      expect(source.kind).toBe('root-param');
      expect(['location', 'secondaryLocation']).toContain((source as { name: string }).name);
    }
  });

  it('assigns the built-in Allowed locations policy to the resource group with the same EU/EEA list', () => {
    const assignments = byType('Microsoft.Authorization/policyAssignments');
    const rgAssignment = assignments.find(
      (f) => f.frame.parent !== undefined && inlineVariables(f.resource.properties?.policyDefinitionId, f.frame).includes('e56962a6-4747-49cd-b67b-bf8b01975c4c'),
    );
    expect(rgAssignment, 'resource-group scoped Allowed locations assignment').toBeDefined();
    const { resource, frame } = rgAssignment as Found;
    expect(resource.condition, 'the residency policy is not optional').toBeUndefined();
    expect(inlineVariables(resource.properties?.policyDefinitionId, frame)).toContain(
      "tenantResourceId('Microsoft.Authorization/policyDefinitions', 'e56962a6-4747-49cd-b67b-bf8b01975c4c')",
    );
    expect(ALLOWED_LOCATIONS_POLICY).toContain('e56962a6-4747-49cd-b67b-bf8b01975c4c');
    expect(resource.properties?.enforcementMode).toBe('Default');
    const listed = literal((resource.properties?.parameters as Record<string, { value: Json }>).listOfAllowedLocations?.value, frame);
    expect(new Set(listed as string[])).toEqual(new Set(EU_EEA_REGIONS));
    // The deployment holding it targets the resource group main.bicep creates.
    expect(frame.path).toBe('main/policy');
  });

  it('offers the subscription-wide Allowed locations for resource groups policy behind a switch', () => {
    const rgPolicy = byType('Microsoft.Authorization/policyAssignments').find((f) =>
      inlineVariables(f.resource.properties?.policyDefinitionId, f.frame).includes('e765b5de-1225-4ba3-bd56-1ac6695af988'),
    );
    expect(rgPolicy, ALLOWED_RG_LOCATIONS_POLICY).toBeDefined();
    const { resource, frame } = rgPolicy as Found;
    expect(resource.condition).toBe("[parameters('assignSubscriptionLocationPolicy')]");
    const listed = literal((resource.properties?.parameters as Record<string, { value: Json }>).listOfAllowedLocations?.value, frame);
    expect(new Set(listed as string[])).toEqual(new Set(EU_EEA_REGIONS));
  });
});

suite('Cosmos DB', () => {
  it('allows identity-only access, continuous backup and TLS 1.2', () => {
    const { resource } = one('Microsoft.DocumentDB/databaseAccounts');
    const p = resource.properties ?? {};
    expect(p.disableLocalAuth).toBe(true);
    expect(p.disableKeyBasedMetadataWriteAccess).toBe(true);
    expect(p.backupPolicy).toEqual({ type: 'Continuous', continuousModeProperties: { tier: 'Continuous7Days' } });
    expect(p.minimalTlsVersion).toBe('Tls12');
    // Off with private networking (tests/infra/network.test.ts).
    expect(trace(p.publicNetworkAccess, one('Microsoft.DocumentDB/databaseAccounts').frame)).toEqual({ kind: 'value', value: "[if(parameters('privateNetworking'), 'Disabled', 'Enabled')]" });
  });

  it('names the database engage', () => {
    const { resource, frame } = one('Microsoft.DocumentDB/databaseAccounts/sqlDatabases');
    const db = resource.properties?.resource as { id: Json };
    expect(literal(db.id, frame)).toBe('engage');
  });

  it('gives every container in the list a partition key, MultiHash where there are two paths', () => {
    const { resource, frame } = one('Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers');
    const list = frame.template.variables?.containers as { name: string; partitionKeyPaths: string[]; indexedPaths: string[]; defaultTtl?: number }[];
    expect(Array.isArray(list)).toBe(true);
    expect(new Set(list.map((c) => c.name)).size, 'container names are unique').toBe(list.length);
    for (const c of list) {
      expect(c.partitionKeyPaths.length, `${c.name} partition key`).toBeGreaterThan(0);
      expect(c.partitionKeyPaths.length, `${c.name}: hierarchical keys have at most 3 levels`).toBeLessThanOrEqual(3);
      for (const path of c.partitionKeyPaths) expect(path, c.name).toMatch(/^\/[A-Za-z0-9_]+$/);
      for (const path of c.indexedPaths) expect(path, c.name).toMatch(/^\/.*\?$/);
    }
    for (const [name, paths] of Object.entries(EXPECTED_CONTAINERS)) {
      const c = list.find((x) => x.name === name);
      expect(c, `container ${name}`).toBeDefined();
      expect(c?.partitionKeyPaths, name).toEqual(paths);
    }
    expect(list.find((c) => c.name === 'sessions')?.defaultTtl, 'sessions: per-item ttl').toBe(-1);

    const body = resource.properties?.resource as Record<string, Json>;
    const pk = body.partitionKey as Record<string, Json>;
    expect(String(pk.kind)).toContain("'MultiHash'");
    expect(String(pk.kind)).toContain("'Hash'");
    expect(pk.version).toBe(2);
    const indexing = body.indexingPolicy as Record<string, Json>;
    expect(indexing.indexingMode).toBe('consistent');
    expect(indexing.excludedPaths).toEqual([{ path: '/*' }, { path: '/"_etag"/?' }]);
  });

  it('stays in step with the containers lib/data/containers.ts defines', () => {
    const { frame } = one('Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers');
    const list = frame.template.variables?.containers as { name: string; partitionKeyPaths: string[]; indexedPaths: string[]; defaultTtl?: number }[];
    for (const definition of Object.values(CONTAINERS) as ContainerDefinition[]) {
      const c = list.find((x) => x.name === definition.id);
      expect(c, `lib/ defines container ${definition.id}: add it to infra/app/cosmos.bicep`).toBeDefined();
      expect(c?.partitionKeyPaths, `${definition.id} partition key`).toEqual([...definition.partitionKeyPaths]);
      expect([...(c?.indexedPaths ?? [])].sort(), `${definition.id} indexed paths`).toEqual([...definition.indexedPaths].sort());
      // Documents that carry a `ttl` (sessions, rate counters, idempotency records) expire only where TTL is on.
      expect(c?.defaultTtl, `${definition.id} time-to-live`).toBe(definition.defaultTtl);
    }
  });

  it('grants the app identity the built-in Data Contributor role', () => {
    const { resource, frame } = one('Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments');
    const definition = byType('Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions');
    const existing = all().find((f) => f.resource.type === 'Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions' && f.resource.existing);
    expect(definition).toHaveLength(0);
    expect(existing, 'the built-in role is referenced, not redefined').toBeDefined();
    expect(inlineVariables(existing?.resource.name, frame)).toContain(ROLE.cosmosDataContributor);
    expect(resource.properties?.principalId).toBeDefined();
    expect(String(resource.properties?.roleDefinitionId)).toContain('sqlRoleDefinitions');
  });
});

suite('Storage', () => {
  it('disables shared keys and public blob access, and requires TLS 1.2 over HTTPS', () => {
    for (const module of ['storage', 'uploadStorage']) {
      const p = one('Microsoft.Storage/storageAccounts', module).resource.properties ?? {};
      expect(p.allowSharedKeyAccess, module).toBe(false);
      expect(p.allowBlobPublicAccess, module).toBe(false);
      expect(p.minimumTlsVersion, module).toBe('TLS1_2');
      expect(p.supportsHttpsTrafficOnly, module).toBe(true);
    }
  });

  it('creates the private deployments container and every container lib/storage/blob-containers.ts names', () => {
    const { resource, frame } = one('Microsoft.Storage/storageAccounts/blobServices/containers', 'storage');
    expect(frame.template.variables?.containerNames, 'add the container to infra/app/storage.bicep').toEqual(['deployments', ...BLOB_CONTAINERS]);
    expect(resource.properties?.publicAccess).toBe('None');
  });

  it('grants the app identity Blob Data Owner, Queue and Table Data Contributor on the main account, and only Blob Data Contributor and Delegator on the upload account', () => {
    const wanted = {
      storage: [ROLE.storageBlobDataOwner, ROLE.storageQueueDataContributor, ROLE.storageTableDataContributor],
      uploadStorage: [ROLE.storageBlobDataContributor, ROLE.storageBlobDelegator],
    };
    for (const [module, roleIds] of Object.entries(wanted)) {
      const storageFrame = frameWith('Microsoft.Storage/storageAccounts', module);
      const roles = Object.values(storageFrame.template.variables?.roles as Record<string, string>);
      expect(new Set(roles), module).toEqual(new Set(roleIds));
      const assignment = byType('Microsoft.Authorization/roleAssignments').find((f) => f.frame === storageFrame);
      expect(assignment, `role assignments in ${module}`).toBeDefined();
      const p = assignment?.resource.properties ?? {};
      expect(String(p.roleDefinitionId)).toContain("variables('roles')");
      expect(p.principalType).toBe('ServicePrincipal');
      expect(trace(p.principalId, storageFrame).kind, 'principal comes from the identity module output').toBe('value');
      expect(String(literal(p.principalId, storageFrame)), 'the app identity').toContain('outputs.principalId');
    }
  });

  it('lets only the frontend\'s https:// origins PUT roster uploads from a browser, on the upload account only (blob CORS, no wildcard)', () => {
    expect(one('Microsoft.Storage/storageAccounts/blobServices', 'storage').resource.properties?.cors, 'no browser reaches the main account').toBeUndefined();
    const { resource, frame } = one('Microsoft.Storage/storageAccounts/blobServices', 'uploadStorage');
    const cors = resource.properties?.cors as { corsRules: Json };
    expect(cors.corsRules, 'no rule without origins, the one rule otherwise').toBe(
      "[if(empty(parameters('corsAllowedOrigins')), createArray(), createArray(variables('rosterUploadCorsRule')))]",
    );
    const rule = frame.template.variables?.rosterUploadCorsRule as Record<string, Json>;
    expect(rule.allowedMethods).toEqual(['PUT', 'OPTIONS']);
    expect(rule.allowedHeaders).toEqual(['content-type', 'x-ms-*']);
    expect(rule.maxAgeInSeconds).toBeGreaterThan(0);
    // The origins are the CORS_ALLOWED_ORIGINS parameter the API's CORS uses, narrowed to https://.
    const origins = String(literal(rule.allowedOrigins, frame));
    expect(origins).toBe("[filter(variables('corsOrigins'), lambda('origin', startsWith(lambdaVariables('origin'), 'https://')))]");
    expect(paramsReferenced(String(template().variables?.corsOrigins))).toEqual(['corsAllowedOrigins']);
  });

  it('keeps the upload account to the one roster-uploads container the app names, and gives the app its endpoint', () => {
    const { resource } = one('Microsoft.Storage/storageAccounts/blobServices/containers', 'uploadStorage');
    expect(String(resource.name)).toMatch(new RegExp(`'default', '${ROSTER_UPLOADS_CONTAINER}'\\)\\]$`));
    expect(resource.properties?.publicAccess).toBe('None');
    expect(appSettings().ROSTER_UPLOAD_BLOB_ENDPOINT).toBe("[parameters('rosterUploadBlobEndpoint')]");
    const site = one('Microsoft.Web/sites');
    expect(trace("[parameters('rosterUploadBlobEndpoint')]", site.frame)).toEqual({ kind: 'value', value: "[reference('uploadStorage').outputs.blobEndpoint.value]" });
  });
});

suite('monitoring', () => {
  it('keeps telemetry at most 89 days, the shortest "3 months" (default 30), with local auth off', () => {
    const root = rootParam('logRetentionInDays');
    expect(root.defaultValue).toBe(30);
    expect(root.maxValue).toBeLessThanOrEqual(SHORTEST_THREE_MONTHS_DAYS);

    const la = one('Microsoft.OperationalInsights/workspaces');
    expect(upperBound(la.resource.properties?.retentionInDays, la.frame)).toBeLessThanOrEqual(SHORTEST_THREE_MONTHS_DAYS);

    const ai = one('Microsoft.Insights/components');
    const p = ai.resource.properties ?? {};
    expect(p, 'workspace-based: the workspace retention applies').not.toHaveProperty('RetentionInDays');
    expect(p.IngestionMode).toBe('LogAnalytics');
    expect(p.DisableLocalAuth).toBe(true);
    expect(p.DisableIpMasking).toBe(false);
    expect(String(p.WorkspaceResourceId)).toContain('Microsoft.OperationalInsights/workspaces');
    expect(JSON.stringify(ai.frame.template.variables)).toContain(ROLE.monitoringMetricsPublisher);
  });

  it('tests /api/health every 5 minutes from EU locations only, through the gateway', () => {
    const { resource, frame } = one('Microsoft.Insights/webtests');
    const p = resource.properties ?? {};
    expect(resource.kind).toBe('standard');
    expect(p.Kind).toBe('standard');
    expect(p.Frequency).toBe(300);
    const url = literal((p.Request as Record<string, Json>).RequestUrl, frame);
    expect(url).toBe("[format('{0}/health', parameters('apiBaseUrl'))]");
    // The Function App admits only the gateway, so the test calls the gateway's /api, as clients do.
    expect(frame.bindings?.apiBaseUrl?.value).toBe("[reference('gateway').outputs.apiBaseUrl.value]");
    expect(gatewayFrame().template.outputs?.apiBaseUrl?.value).toBe("[format('{0}/{1}', reference('gateway').gatewayUrl, variables('apiPath'))]");
    expect(gatewayFrame().template.variables?.apiPath).toBe('api');

    const copy = (p.copy as { name: string; input: Record<string, Json> }[]).find((c) => c.name === 'Locations');
    expect(copy?.input.Id).toBe("[parameters('testLocations')[copyIndex('Locations')]]");
    const locations = literal("[parameters('testLocations')]", frame) as string[];
    expect(locations.length).toBeGreaterThanOrEqual(3);
    for (const id of locations) {
      const region = AVAILABILITY_TEST_LOCATIONS[id];
      expect(region, `unknown test location ${id}`).toBeDefined();
      const country = EUROPEAN_AZURE_REGIONS[region as string] as string;
      expect(EU_EEA_COUNTRIES.has(country), `${id} runs in ${region} (${country})`).toBe(true);
    }
    expect(String(resource.tags), 'hidden-link tag to the Application Insights component').toContain('hidden-link:');
  });

  it('alerts on availability with a web test location criterion', () => {
    const availability = byType('Microsoft.Insights/metricAlerts').find(
      (f) => (f.resource.properties?.criteria as Record<string, Json>)['odata.type'] === 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria',
    );
    expect(availability, 'availability metric alert').toBeDefined();
    expect(JSON.stringify(availability?.resource.properties?.actions)).toContain('actionGroups');
  });

  it('alerts on retention jobs (heartbeat, failure in any step, overdue work) and erasures (overdue, not resumed)', () => {
    const { resource, frame } = one('Microsoft.Insights/scheduledQueryRules');
    // One resource, copied once per rule.
    expect((frame.template.variables?.logAlerts as unknown[]).length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify((resource as { copy?: Json }).copy)).toContain('logAlerts');
    const queries = JSON.stringify(frame.template.variables);
    for (const needle of ['RetentionJobCompleted', 'ago(26h)', 'RetentionJobFailed', 'RetentionJobOverdue', 'ErasureOverdue', 'ErasureBacklog']) {
      expect(queries).toContain(needle);
    }
    expect(JSON.stringify(resource.properties?.actions)).toContain('actionGroup');
  });

  it('expects, by default, a completion of every job the app defines: the heartbeat cannot go quiet', () => {
    const jobs = JSON.parse(readFileSync(join(ROOT, 'infra', 'app', 'retention-jobs.json'), 'utf8')) as string[];
    expect([...jobs].sort(), 'infra/app/retention-jobs.json is derived from the job declarations: run `npx tsx scripts/retention-jobs.ts` and commit it').toEqual(
      featureJobs(FEATURES).map((job) => job.name).sort(),
    );
    expect(rootParam('retentionJobNames').defaultValue).toMatch(/^\[variables\('\$fxv#\d+'\)\]$/);
    expect(literal(rootParam('retentionJobNames').defaultValue as Json, { template: template(), path: 'main' })).toEqual(jobs);
  });

  it('has a workbook with availability, request health, job runs and erasure backlog', () => {
    const { resource, frame } = one('Microsoft.Insights/workbooks');
    expect(String(resource.properties?.serializedData)).toContain("variables('workbookContent')");
    const content = JSON.stringify(frame.template.variables);
    expect(content).toContain('availabilityResults');
    expect(content).toContain('percentile(duration, 95)');
    expect(content).toContain('RetentionJob');
    expect(content).toContain('ErasureBacklog');
  });
});

suite('Function App', () => {
  it('runs Node 22 on Flex Consumption with identity-based deployment storage', () => {
    const plan = one('Microsoft.Web/serverfarms').resource;
    expect(plan.sku).toMatchObject({ name: 'FC1', tier: 'FlexConsumption' });
    const site = one('Microsoft.Web/sites').resource;
    const p = site.properties ?? {};
    const config = p.functionAppConfig as Record<string, Record<string, Json>>;
    expect(config.runtime).toEqual({ name: 'node', version: '22' });
    const storage = config.deployment?.storage as Record<string, Record<string, Json>>;
    expect(storage.authentication?.type).toBe('UserAssignedIdentity');
    expect(p.httpsOnly).toBe(true);
    const siteConfig = p.siteConfig as Record<string, Json>;
    expect(siteConfig.minTlsVersion).toBe('1.2');
    expect(siteConfig.ftpsState).toBe('Disabled');
    expect((siteConfig.cors as Record<string, Json>).supportCredentials).toBe(true);
    expect((site as { identity?: { type: string } }).identity?.type).toBe('UserAssigned');
  });

  it('has the app settings the app reads, identity-based and without keys', () => {
    const settings = appSettings();
    for (const name of [
      'AzureWebJobsStorage__accountName',
      'AzureWebJobsStorage__credential',
      'AzureWebJobsStorage__clientId',
      'ENGAGE_MODE',
      'AZURE_REGION',
      'ALLOWED_REGIONS',
      'COSMOS_ENDPOINT',
      'COSMOS_DATABASE',
      'BLOB_ENDPOINT',
      'ROSTER_UPLOAD_BLOB_ENDPOINT',
      'AZURE_CLIENT_ID',
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
      'OIDC_ISSUERS',
      'PLATFORM_OPERATORS',
      'CORS_ALLOWED_ORIGINS',
      'PRIVACY_DIGEST_KEY',
    ]) {
      expect(settings, name).toHaveProperty(name);
    }
    expect(settings.ENGAGE_MODE).toBe('azure');
    // Behind the gateway the client address is the hop before App Service's (lib/usage/client-info.ts).
    expect(settings.TRUSTED_PROXY_HOPS).toBe('1');
    expect(settings.AzureWebJobsStorage__credential).toBe('managedidentity');
    expect(String(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING)).toContain('Authorization=AAD;ClientId=');
    expect(settings).not.toHaveProperty('AzureWebJobsStorage');
    for (const [name, value] of Object.entries(settings)) {
      if (KEY_VAULT_REFERENCE_SETTINGS.has(name)) {
        expect(String(value), `${name} is a Key Vault reference`).toMatch(/^\[format\('@Microsoft\.KeyVault\(SecretUri=\{0\}\)'/);
        continue;
      }
      expect(name, 'no keys or secrets in app settings').not.toMatch(/KEY|SECRET|PASSWORD/i);
    }
  });

  it('reads PRIVACY_DIGEST_KEY through a Key Vault reference to the latest secret version, with the app identity', () => {
    const site = one('Microsoft.Web/sites');
    const setting = appSettings().PRIVACY_DIGEST_KEY;
    expect(setting).toBe("[format('@Microsoft.KeyVault(SecretUri={0})', parameters('privacyDigestKeySecretUri'))]");
    // The URI comes from the Key Vault module's output, which is the secret's versionless URI.
    expect(trace("[parameters('privacyDigestKeySecretUri')]", site.frame)).toEqual({
      kind: 'value',
      value: "[reference('keyVault').outputs.privacyDigestKeySecretUri.value]",
    });
    const vaultFrame = frameWith('Microsoft.KeyVault/vaults');
    expect(vaultFrame.path).toBe('main/keyVault');
    // Versionless, and independent of whether this provision writes the secret.
    expect(vaultFrame.template.outputs?.privacyDigestKeySecretUri?.value).toBe("[format('{0}secrets/privacy-digest-key', reference('vault').vaultUri)]");
    // The app is deployed after the Key Vault module, so after the Secrets User grant.
    const apiModule = all().find((f) => f.frame.parent === undefined && f.symbol === 'api');
    expect(apiModule?.resource.dependsOn).toContain('keyVault');

    // References resolve with the user-assigned identity (the app has no system-assigned one).
    const p = site.resource.properties ?? {};
    const identities = (site.resource as { identity?: { userAssignedIdentities?: Record<string, Json> } }).identity?.userAssignedIdentities ?? {};
    expect(p.keyVaultReferenceIdentity).toBe("[parameters('identityId')]");
    expect(Object.keys(identities)).toEqual(["[format('{0}', parameters('identityId'))]"]);
    expect(trace(p.keyVaultReferenceIdentity, site.frame)).toEqual({ kind: 'value', value: "[reference('identity').outputs.id.value]" });
  });
});

suite('Key Vault', () => {
  it('uses RBAC only, soft delete with purge protection, and public access off with private networking', () => {
    const { resource, frame } = one('Microsoft.KeyVault/vaults');
    const p = resource.properties ?? {};
    expect(p.enableRbacAuthorization).toBe(true);
    expect(p.accessPolicies ?? [], 'no access policies').toEqual([]);
    expect(p.enableSoftDelete).toBe(true);
    expect(p.enablePurgeProtection).toBe(true);
    expect(p.softDeleteRetentionInDays).toBe(90);
    expect(p.enabledForTemplateDeployment).toBe(false);
    expect(trace(resource.location, frame)).toMatchObject({ kind: 'root-param', name: 'location' });
    expect(trace(p.publicNetworkAccess, frame)).toEqual({ kind: 'value', value: "[if(parameters('privateNetworking'), 'Disabled', 'Enabled')]" });
  });

  it('writes the privacy-digest-key secret only when a key is given (first provision, rotation), from a secure parameter of at least 32 characters', () => {
    const { resource, frame } = one('Microsoft.KeyVault/vaults/secrets');
    expect(String(resource.name)).toContain("'privacy-digest-key'");
    expect(frame.path).toBe('main/digestKey');
    expect(resource.properties?.value).toBe("[parameters('privacyDigestKey')]");
    const inner = frame.template.parameters?.privacyDigestKey;
    expect(inner?.type, 'secure, so the value never shows in deployment history').toBe('securestring');
    expect(inner?.minLength).toBeGreaterThanOrEqual(32);
    const module = all().find((f) => f.frame.parent === undefined && f.symbol === 'digestKey') as Found;
    expect(module.resource.condition, 'no key given: the vault keeps the one it has').toBe("[not(empty(parameters('privacyDigestKey')))]");
    const root = rootParam('privacyDigestKey');
    expect(root.type).toBe('securestring');
    expect(root.defaultValue).toBe('');
    const file = JSON.parse(readFileSync(join(ROOT, 'infra', 'main.parameters.json'), 'utf8')) as {
      parameters: Record<string, { value: string }>;
    };
    expect(file.parameters.privacyDigestKey?.value).toBe('${ENGAGE_PRIVACY_DIGEST_KEY=}');
    // The app starts only once the key is in the vault.
    expect(all().find((f) => f.frame.parent === undefined && f.symbol === 'api')?.resource.dependsOn).toContain('digestKey');
  });

  it('grants the app identity Key Vault Secrets User on the vault', () => {
    const vaultFrame = frameWith('Microsoft.KeyVault/vaults');
    const assignments = byType('Microsoft.Authorization/roleAssignments').filter((f) => f.frame === vaultFrame);
    expect(assignments).toHaveLength(1);
    const { resource } = assignments[0] as Found;
    const p = resource.properties ?? {};
    expect(inlineVariables(p.roleDefinitionId, vaultFrame)).toBe(
      `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${ROLE.keyVaultSecretsUser}')]`,
    );
    expect(String(resource.scope)).toBe("[resourceId('Microsoft.KeyVault/vaults', parameters('name'))]");
    expect(p.principalType).toBe('ServicePrincipal');
    expect(trace(p.principalId, vaultFrame)).toEqual({ kind: 'value', value: "[reference('identity').outputs.principalId.value]" });
  });
});

suite('edge rate limit (API Management gateway)', () => {
  it('runs API Management Standard v2, one unit, in the EU/EEA location, tagged like the rest', () => {
    const { resource, frame } = one('Microsoft.ApiManagement/service');
    expect(frame.path).toBe('main/gateway');
    expect(resource.sku).toEqual({ name: 'StandardV2', capacity: 1 });
    // Regional, in main.bicep's location (whose @allowed list is EU/EEA only): not a global edge.
    expect(trace(resource.location, frame)).toMatchObject({ kind: 'root-param', name: 'location' });
    expect(resource.tags).toBe("[parameters('tags')]");
    expect(frame.bindings?.tags?.value).toBe("[variables('tags')]");
  });

  it('forwards every method on /api/* to the Function App over HTTPS, without a subscription key', () => {
    const api = one('Microsoft.ApiManagement/service/apis');
    const p = api.resource.properties ?? {};
    expect(literal(p.path, api.frame)).toBe('api');
    expect(p.protocols).toEqual(['https']);
    expect(p.subscriptionRequired, 'the app authenticates callers itself; no shared key').toBe(false);
    expect(p.serviceUrl).toBe("[format('https://{0}/{1}', parameters('backendHostName'), variables('apiPath'))]");
    expect(api.frame.bindings?.backendHostName?.value).toBe("[reference('api').outputs.defaultHostName.value]");

    const ops = one('Microsoft.ApiManagement/service/apis/operations');
    const op = ops.resource.properties ?? {};
    expect(op.urlTemplate).toBe('/*');
    expect(op.method).toBe("[variables('methods')[copyIndex()]]");
    expect(JSON.stringify((ops.resource as { copy?: Json }).copy)).toContain("length(variables('methods'))");
    expect(new Set(ops.frame.template.variables?.methods as string[])).toEqual(
      new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']),
    );
  });

  it('limits each client IP address to edgeRateLimitCalls per edgeRateLimitPeriodSeconds (default 300 per 60 s), answering 429 with Retry-After', () => {
    const { xml, args } = renderedPolicy();
    const inbound = /<inbound>([\s\S]*?)<\/inbound>/.exec(xml)?.[1] ?? '';
    const limit = xmlElement(inbound, 'rate-limit-by-key');
    expect(limit, 'rate-limit-by-key on the way in, before the request reaches the app').toBeDefined();
    expect(limit?.['counter-key'], 'one counter per client IP address').toBe('@(context.Request.IpAddress)');
    expect(limit?.calls).toBe('300');
    expect(limit?.['renewal-period']).toBe('60');
    expect(limit?.['retry-after-header-name']).toBe('Retry-After');
    expect(limit?.['remaining-calls-header-name']).toBeTruthy();
    expect(limit?.['total-calls-header-name']).toBeTruthy();
    expect(limit, 'every request counts').not.toHaveProperty('increment-condition');

    // The numbers are main.bicep parameters, not literals in the module.
    const placeholders = xmlElement(gatewayPolicyTemplate(), 'rate-limit-by-key') ?? {};
    const argFor = (attribute: string) => args[Number(/^\{(\d+)\}$/.exec(String(placeholders[attribute]))?.[1])];
    expect(argFor('calls')?.name).toBe('edgeRateLimitCalls');
    expect(argFor('renewal-period')?.name).toBe('edgeRateLimitPeriodSeconds');
    expect(argFor('calls')?.param.minValue).toBeGreaterThanOrEqual(1);
    expect(argFor('renewal-period')?.param.maxValue, 'API Management allows at most 300 s').toBeLessThanOrEqual(300);
  });

  it('passes the client IP address on to the app in X-Forwarded-For', () => {
    const { xml } = renderedPolicy();
    const inbound = /<inbound>([\s\S]*?)<\/inbound>/.exec(xml)?.[1] ?? '';
    expect(inbound).toMatch(
      /<set-header name="X-Forwarded-For" exists-action="override">\s*<value>@\(context\.Request\.IpAddress\)<\/value>\s*<\/set-header>/,
    );
  });

  it('lets only the gateway call the Function App: its integration subnet is the one source allowed', () => {
    const site = one('Microsoft.Web/sites');
    const siteConfig = (site.resource.properties?.siteConfig ?? {}) as Record<string, Json>;
    expect(siteConfig.ipSecurityRestrictionsDefaultAction).toBe('Deny');
    const rules = (siteConfig.ipSecurityRestrictions ?? []) as Record<string, Json>[];
    expect(rules).toHaveLength(1);
    const rule = rules[0] as Record<string, Json>;
    expect(rule.action).toBe('Allow');
    expect(rule).not.toHaveProperty('ipAddress');
    const subnet = "[reference('network').outputs.gatewaySubnetId.value]";
    expect(trace(rule.vnetSubnetResourceId, site.frame)).toEqual({ kind: 'value', value: subnet });

    // The gateway sends its requests out through that same subnet...
    const gateway = one('Microsoft.ApiManagement/service');
    const p = gateway.resource.properties ?? {};
    expect(p.virtualNetworkType).toBe('External');
    const integration = (p.virtualNetworkConfiguration ?? {}) as Record<string, Json>;
    expect(trace(integration.subnetResourceId, gateway.frame)).toEqual({ kind: 'value', value: subnet });

    // ...which is delegated to it and reaches App Service over a Microsoft.Web service endpoint.
    const network = one('Microsoft.Network/virtualNetworks');
    expect(network.frame.path).toBe('main/network');
    const subnets = (network.resource.properties?.subnets ?? []) as { name: Json; properties: Record<string, Json> }[];
    const gatewaySubnet = subnets.find((subnet) => network.frame.template.variables?.gatewaySubnetName === literal(subnet.name, network.frame));
    expect(gatewaySubnet, 'the gateway subnet').toBeDefined();
    const { name, properties } = gatewaySubnet as { name: Json; properties: Record<string, Json> };
    expect(network.frame.template.outputs?.gatewaySubnetId?.value).toBe(
      `[resourceId('Microsoft.Network/virtualNetworks/subnets', parameters('name'), ${String(name).replace(/^\[(.*)\]$/, '$1')})]`,
    );
    const delegations = (properties.delegations ?? []) as { properties: { serviceName: string } }[];
    expect(delegations.map((d) => d.properties.serviceName)).toEqual(['Microsoft.Web/serverFarms']);
    const endpoints = (properties.serviceEndpoints ?? []) as { service: string }[];
    expect(endpoints.map((e) => e.service)).toContain('Microsoft.Web');

    // The deployment (SCM) site stays reachable for azd, with Entra ID only (no basic auth).
    expect(siteConfig.scmIpSecurityRestrictionsUseMain).toBe(false);
    const publishing = byType('Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    expect(publishing.map((f) => f.resource.properties?.allow)).toEqual([false, false]);
  });

  it('holds no keys or secrets: no named values, subscriptions or credentials, and no role for its identity', () => {
    const frame = gatewayFrame();
    for (const [symbol, resource] of resourcesOf(frame.template)) {
      expect(resource.type.toLowerCase(), symbol).toMatch(/^microsoft\.apimanagement\/service(\/apis(\/operations|\/policies)?)?$/);
    }
    for (const [name, def] of Object.entries(frame.template.parameters ?? {})) {
      expect(String(def.type ?? ''), `${name} is not a secret`).not.toMatch(/secure/i);
    }
    expect(JSON.stringify(frame.template)).not.toMatch(/listKeys|listSecrets|namedValues|subscriptions|authentication-basic|authentication-certificate|\{\{/i);
    const gateway = one('Microsoft.ApiManagement/service').resource as { identity?: { type: string } };
    expect(gateway.identity?.type, "its own identity, never the app's").toBe('SystemAssigned');
    expect(byType('Microsoft.Authorization/roleAssignments').filter((f) => f.frame === frame)).toHaveLength(0);
  });

  it('outputs the gateway URL and the API base URL clients use', () => {
    const outputs = template().outputs ?? {};
    expect(outputs.AZURE_GATEWAY_URL?.value).toBe("[reference('gateway').outputs.gatewayUrl.value]");
    expect(outputs.API_BASE_URL?.value).toBe("[reference('gateway').outputs.apiBaseUrl.value]");
    expect(gatewayFrame().template.outputs?.gatewayUrl?.value).toBe("[reference('gateway').gatewayUrl]");
  });
});

suite('azd files', () => {
  it('maps the azd environment into main.parameters.json and covers every required parameter', () => {
    const file = JSON.parse(readFileSync(join(ROOT, 'infra', 'main.parameters.json'), 'utf8')) as {
      parameters: Record<string, { value: string }>;
    };
    const params = template().parameters ?? {};
    for (const name of Object.keys(file.parameters)) expect(params, `unknown parameter ${name}`).toHaveProperty(name);
    for (const [name, def] of Object.entries(params)) {
      if (def.defaultValue === undefined) expect(file.parameters, `required parameter ${name}`).toHaveProperty(name);
    }
    expect(file.parameters.environmentName?.value).toBe('${AZURE_ENV_NAME}');
    expect(file.parameters.location?.value).toBe('${AZURE_LOCATION}');
    expect(file.parameters.principalId?.value).toBe('${AZURE_PRINCIPAL_ID}');
  });

  it('declares one TypeScript function service in azure.yaml', () => {
    const yaml = readFileSync(join(ROOT, 'azure.yaml'), 'utf8');
    expect(yaml).toMatch(/^services:\n {2}api:\n/m);
    expect(yaml).toMatch(/^ {4}project: \.$/m);
    expect(yaml).toMatch(/^ {4}language: ts$/m);
    expect(yaml).toMatch(/^ {4}host: function$/m);
  });
});
