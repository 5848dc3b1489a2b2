/**
 * Capacity and resilience: the hot containers (every request reads or writes them) have
 * autoscale of their own instead of sharing the database's, sized by the method in
 * docs/infrastructure.md ("Capacity"); Cosmos DB is zone redundant and storage ZRS wherever
 * the region has availability zones.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CONTAINERS } from '../../lib/data/containers.js';
import { ROOT } from '../support/arm-template-build.js';
import { all, allowedRegions, one, rootParam, suite, template, type Found, type Json } from './arm-template-model.js';

const HOT = ['audit', 'records', 'directory', 'usage'];

suite('capacity and resilience', () => {
  it('gives audit, records, directory and usage dedicated autoscale from a parameter; the rest share the database', () => {
    const { resource, frame } = one('Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers');
    expect(resource.properties?.options).toBe(
      "[if(contains(parameters('hotContainerMaxThroughput'), variables('containers')[copyIndex()].name), createObject('autoscaleSettings', createObject('maxThroughput', parameters('hotContainerMaxThroughput')[variables('containers')[copyIndex()].name])), createObject())]",
    );
    expect(frame.bindings?.hotContainerMaxThroughput?.value).toBe("[parameters('cosmosHotContainerMaxThroughput')]");
    const defaults = rootParam('cosmosHotContainerMaxThroughput').defaultValue as Record<string, number>;
    expect(Object.keys(defaults).sort()).toEqual([...HOT].sort());
    const ids = Object.values(CONTAINERS).map((c) => c.id);
    for (const name of HOT) {
      expect(ids, `${name} is a container the app defines`).toContain(name);
      expect(defaults[name], `${name}: autoscale starts at 1000 RU/s`).toBeGreaterThanOrEqual(1000);
    }
    // Every hot container has a floor in the parameter's type, so a smaller value fails the deployment.
    const type = (template() as unknown as { definitions: Record<string, { properties: Record<string, { minValue?: number }> }> }).definitions;
    const hotType = Object.values(type).find((t) => t.properties && HOT.every((name) => name in t.properties));
    for (const name of HOT) expect(hotType?.properties[name]?.minValue).toBe(1000);
  });

  it('documents the sizing: RU per request x expected load, next to the numbers', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'infrastructure.md'), 'utf8');
    const section = doc.slice(doc.indexOf('### Capacity'));
    expect(section).toContain('docs/benchmarks.md');
    for (const name of HOT) expect(section).toMatch(new RegExp(`\\| \`${name}\` \\|`));
  });

  it('makes Cosmos DB zone redundant in every region of the account that has availability zones', () => {
    const { resource, frame } = one('Microsoft.DocumentDB/databaseAccounts');
    const locations = (resource.properties as Record<string, Json>).copy as { name: string; input: Record<string, Json> }[];
    const input = locations.find((c) => c.name === 'locations')?.input ?? {};
    expect(String(input.isZoneRedundant)).toContain("contains(parameters('zoneRegions')");
    expect(frame.bindings?.zoneRegions?.value).toBe("[variables('zoneRegions')]");
  });

  it('uses ZRS storage where the region has zones, unless storageSkuName says otherwise', () => {
    const storageModule = all().find((f) => f.frame.parent === undefined && f.symbol === 'storage') as Found;
    const sku = (storageModule.resource.properties?.parameters as Record<string, Json>).skuName;
    expect(sku).toBe(
      "[if(or(equals(parameters('storageSkuName'), 'Standard_LRS'), and(empty(parameters('storageSkuName')), not(contains(variables('zoneRegions'), parameters('location'))))), createObject('value', 'Standard_LRS'), createObject('value', 'Standard_ZRS'))]",
    );
    expect(rootParam('storageSkuName').defaultValue).toBe('');
    const zones = template().variables?.zoneRegions as string[];
    for (const region of zones) expect(allowedRegions('secondaryLocation'), `${region} is an EU/EEA region`).toContain(region);
  });
});
