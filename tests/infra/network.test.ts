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

  it('turns public network access off on Cosmos DB, Storage and Key Vault with it', () => {
    for (const type of ['Microsoft.DocumentDB/databaseAccounts', 'Microsoft.Storage/storageAccounts', 'Microsoft.KeyVault/vaults']) {
      const { resource, frame } = one(type);
      expect(trace(resource.properties?.publicNetworkAccess, frame), type).toEqual({ kind: 'value', value: PRIVATE });
    }
    for (const type of ['Microsoft.Storage/storageAccounts', 'Microsoft.KeyVault/vaults']) {
      const acls = one(type).resource.properties?.networkAcls as Record<string, Json>;
      expect(String(acls.defaultAction), `${type} denies by default without public access`).toContain("'Deny'");
    }
  });

  it('gives Cosmos DB (Sql), Storage (blob, queue, table) and Key Vault (vault) a private endpoint with its private DNS zone', () => {
    const { frame } = one('Microsoft.Network/privateEndpoints');
    const endpoints = frame.template.variables?.endpoints as { groupId: string; type: string; zone: string }[];
    const byGroup = Object.fromEntries(endpoints.map((e) => [e.groupId, e]));
    expect(Object.keys(byGroup).sort()).toEqual(['Sql', 'blob', 'queue', 'table', 'vault']);
    expect(byGroup.Sql?.type).toBe('Microsoft.DocumentDB/databaseAccounts');
    expect(byGroup.vault?.type).toBe('Microsoft.KeyVault/vaults');
    for (const group of ['blob', 'queue', 'table']) expect(byGroup[group]?.type).toBe('Microsoft.Storage/storageAccounts');
    expect(byGroup.Sql?.zone).toBe('privatelink.documents.azure.com');
    expect(byGroup.vault?.zone).toBe('privatelink.vaultcore.azure.net');
    expect(byGroup.blob?.zone).toBe("[format('privatelink.blob.{0}', environment().suffixes.storage)]");
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
