/**
 * Network isolation as the default: outside dev the Function App integrates with the virtual
 * network, Cosmos DB, Storage (blob, queue, table) and Key Vault are reached at private
 * endpoints resolved through private DNS zones, and their public network access is off. The
 * availability probe runs inside the app, so it checks the stores over the same private path.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../support/arm-template-build.js';
import { all, byType, literal, one, rootParam, suite, trace, type Found, type Json } from './arm-template-model.js';

const PRIVATE = "[if(parameters('privateNetworking'), 'Disabled', 'Enabled')]";

function rootModule(symbol: string): Found {
  const found = all().find((f) => f.frame.parent === undefined && f.symbol === symbol);
  expect(found, `module ${symbol}`).toBeDefined();
  return found as Found;
}

suite('network isolation', () => {
  it('is on by default and off only when asked (dev)', () => {
    expect(rootParam('privateNetworking').defaultValue).toBe("[not(equals(parameters('environmentType'), 'dev'))]");
    expect(rootModule('privateEndpoints').resource.condition).toBe("[parameters('privateNetworking')]");
  });

  it('turns public network access off on Cosmos DB, Storage and Key Vault with it, and keeps the roster upload account public for browsers', () => {
    for (const [type, module] of [['Microsoft.DocumentDB/databaseAccounts'], ['Microsoft.Storage/storageAccounts', 'storage'], ['Microsoft.KeyVault/vaults']] as const) {
      const { resource, frame } = one(type, module);
      expect(trace(resource.properties?.publicNetworkAccess, frame), type).toEqual({ kind: 'value', value: PRIVATE });
    }
    for (const [type, module] of [['Microsoft.Storage/storageAccounts', 'storage'], ['Microsoft.KeyVault/vaults']] as const) {
      const acls = one(type, module).resource.properties?.networkAcls as Record<string, Json>;
      expect(String(acls.defaultAction), `${type} denies by default without public access`).toContain("'Deny'");
    }
    // Browsers PUT roster zips from anywhere; the SAS (create only, one blob, minutes) is the gate.
    expect(one('Microsoft.Storage/storageAccounts', 'uploadStorage').resource.properties?.publicNetworkAccess).toBe('Enabled');
  });

  it('gives Cosmos DB (Sql), Storage (blob, queue, table), Key Vault (vault) and the upload account (blob) a private endpoint with its private DNS zone', () => {
    const { frame } = one('Microsoft.Network/privateEndpoints');
    const zones = frame.template.variables?.zoneNames as string[];
    const endpoints = (frame.template.variables?.endpoints as { groupId: string; type: string; resource: string; zone: number }[]).map((e) => ({ ...e, zone: zones[e.zone] }));
    const byGroup = Object.fromEntries(endpoints.map((e) => [e.groupId, e]));
    expect(Object.keys(byGroup).sort()).toEqual(['Sql', 'blob', 'queue', 'table', 'vault']);
    expect(byGroup.Sql?.type).toBe('Microsoft.DocumentDB/databaseAccounts');
    expect(byGroup.vault?.type).toBe('Microsoft.KeyVault/vaults');
    for (const group of ['blob', 'queue', 'table']) expect(byGroup[group]?.type).toBe('Microsoft.Storage/storageAccounts');
    expect(byGroup.Sql?.zone).toBe('privatelink.documents.azure.com');
    expect(byGroup.vault?.zone).toBe('privatelink.vaultcore.azure.net');
    // The blob zone answers for every storage account inside the network: an account the app
    // reaches without an endpoint there would not resolve at all, so both accounts have one.
    const blobs = endpoints.filter((e) => e.groupId === 'blob');
    expect(blobs.map((e) => e.resource).sort()).toEqual(["[parameters('storageAccountName')]", "[parameters('uploadStorageAccountName')]"]);
    for (const blob of blobs) expect(blob.zone).toBe("[format('privatelink.blob.{0}', environment().suffixes.storage)]");
    expect(new Set(zones).size, 'one zone per host name kind').toBe(zones.length);
    // Each endpoint registers in its zone, and each zone is linked to the app's network.
    expect(byType('Microsoft.Network/privateEndpoints/privateDnsZoneGroups')).toHaveLength(1);
    const link = one('Microsoft.Network/privateDnsZones/virtualNetworkLinks');
    expect(((link.resource.properties?.virtualNetwork ?? {}) as Record<string, Json>).id).toBe("[parameters('networkId')]");
    expect(link.frame.bindings?.networkId?.value).toBe("[reference('network').outputs.networkId.value]");
    expect(link.resource.properties?.registrationEnabled).toBe(false);
  });

  it('integrates the Function App with a subnet delegated to Microsoft.App/environments (Flex Consumption) and routes all its traffic there', () => {
    const site = one('Microsoft.Web/sites');
    expect(site.resource.properties?.virtualNetworkSubnetId).toBe("[if(empty(parameters('virtualNetworkSubnetId')), null(), parameters('virtualNetworkSubnetId'))]");
    const apiParameters = rootModule('api').resource.properties?.parameters as Record<string, Json>;
    expect(apiParameters.virtualNetworkSubnetId).toBe("[if(parameters('privateNetworking'), createObject('value', reference('network').outputs.appSubnetId.value), createObject('value', ''))]");
    expect((site.resource.properties?.siteConfig as Record<string, Json>).vnetRouteAllEnabled).toBe("[not(empty(parameters('virtualNetworkSubnetId')))]");
    const network = one('Microsoft.Network/virtualNetworks');
    const subnets = (network.resource.properties?.subnets ?? []) as { name: Json; properties: { delegations?: { properties: { serviceName: string } }[] } }[];
    const app = subnets.find((subnet) => literal(subnet.name, network.frame) === 'snet-app');
    expect(app?.properties.delegations?.map((d) => d.properties.serviceName)).toEqual(['Microsoft.App/environments']);
    // The app deploys after the endpoints, so it starts with its stores reachable.
    expect(rootModule('api').resource.dependsOn).toContain('privateEndpoints');
  });

  it('keeps the availability probe inside the app, so it checks the private stores over the private path', () => {
    expect(existsSync(join(ROOT, 'lib', 'health', 'availability-probe-timer.ts'))).toBe(true);
    expect(one('Microsoft.Insights/webtests').resource.properties?.Enabled).toBe(true);
  });
});
