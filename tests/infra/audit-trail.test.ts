/**
 * A platform record of who touched children's data: diagnostic settings to Log Analytics for
 * Key Vault, Cosmos DB, blob storage, the Function App and the subscription's Activity Log,
 * kept no longer than the workspace's retention (at most 89 days); Defender plans and
 * CanNotDelete locks, on by default outside dev.
 */
import { expect, it } from 'vitest';
import { SHORTEST_THREE_MONTHS_DAYS } from '../../lib/usage/retention-policy.js';
import { all, byType, one, rootParam, suite, upperBound, type Found, type Json } from './arm-template-model.js';

function settingOn(target: string): Found {
  const found = byType('Microsoft.Insights/diagnosticSettings').find((f) => String(f.resource.scope).includes(target));
  expect(found, `a diagnostic setting on ${target}`).toBeDefined();
  return found as Found;
}

function categories(found: Found): string[] {
  const logs = (found.resource.properties?.logs ?? []) as { category?: string; enabled: boolean }[] | Json;
  if (!Array.isArray(logs)) return [];
  return (logs as { category?: string; enabled: boolean }[]).filter((log) => log.enabled).map((log) => String(log.category));
}

function rootModule(symbol: string): Found {
  const found = all().find((f) => f.frame.parent === undefined && f.symbol === symbol);
  expect(found, `module ${symbol}`).toBeDefined();
  return found as Found;
}

suite('audit trail, Defender and delete locks', () => {
  it('sends Key Vault audit events, Cosmos DB requests, blob reads/writes/deletes and Function App logs to the workspace', () => {
    const expected: Record<string, string[]> = {
      'Microsoft.KeyVault/vaults': ['AuditEvent'],
      'Microsoft.DocumentDB/databaseAccounts': ['DataPlaneRequests', 'ControlPlaneRequests'],
      'Microsoft.Storage/storageAccounts/blobServices': ['StorageRead', 'StorageWrite', 'StorageDelete'],
      'Microsoft.Web/sites': ['FunctionAppLogs'],
    };
    for (const [type, wanted] of Object.entries(expected)) {
      const setting = settingOn(`resourceId('${type}'`);
      expect(new Set(categories(setting)), type).toEqual(new Set(wanted));
      expect(setting.resource.properties?.workspaceId).toBe("[parameters('workspaceId')]");
      expect(setting.frame.bindings?.workspaceId?.value).toBe("[reference('monitoring').outputs.logAnalyticsId.value]");
      expect(JSON.stringify(setting.resource.properties), 'no retention of its own: the workspace\'s applies').not.toContain('retentionPolicy');
    }
  });

  it('records blob reads, writes and deletes of the roster upload account too', () => {
    const settings = byType('Microsoft.Insights/diagnosticSettings').filter((f) => String(f.resource.scope).includes("resourceId('Microsoft.Storage/storageAccounts/blobServices'"));
    const accounts = settings.map((f) => String(f.resource.scope).match(/parameters\('(\w+)'\)/)?.[1]);
    expect(accounts.sort()).toEqual(['storageAccountName', 'uploadStorageAccountName']);
    for (const setting of settings) expect(new Set(categories(setting))).toEqual(new Set(['StorageRead', 'StorageWrite', 'StorageDelete']));
  });

  it('sends the subscription Activity Log to the workspace', () => {
    const activity = byType('Microsoft.Insights/diagnosticSettings').find((f) => f.frame.parent === undefined) as Found;
    expect(activity, 'subscription-scope diagnostic setting in main.bicep').toBeDefined();
    expect(activity.resource.condition).toBe("[parameters('sendActivityLog')]");
    expect(rootParam('sendActivityLog').defaultValue).toBe(true);
    const copy = JSON.stringify((activity.resource.properties as Record<string, Json>).copy);
    for (const category of ['Administrative', 'Security', 'Policy']) expect(copy).toContain(category);
  });

  it('keeps everything the workspace holds at most 89 days, the shortest "3 months"', () => {
    const workspace = one('Microsoft.OperationalInsights/workspaces');
    expect(upperBound(workspace.resource.properties?.retentionInDays, workspace.frame)).toBeLessThanOrEqual(SHORTEST_THREE_MONTHS_DAYS);
  });

  it('locks Cosmos DB, Storage, Key Vault and the workspace against deletion, by default outside dev', () => {
    expect(rootParam('enableDeleteLocks').defaultValue).toBe("[not(equals(parameters('environmentType'), 'dev'))]");
    expect(rootModule('locks').resource.condition).toBe("[parameters('enableDeleteLocks')]");
    const locks = byType('Microsoft.Authorization/locks');
    expect(locks.map((f) => f.resource.properties?.level)).toEqual(['CanNotDelete', 'CanNotDelete', 'CanNotDelete', 'CanNotDelete']);
    const scopes = locks.map((f) => String(f.resource.scope)).join(' ');
    for (const type of ['Microsoft.DocumentDB/databaseAccounts', 'Microsoft.Storage/storageAccounts', 'Microsoft.KeyVault/vaults', 'Microsoft.OperationalInsights/workspaces']) {
      expect(scopes).toContain(`'${type}'`);
    }
  });

  it('turns on Defender for Cosmos DB, Storage, Key Vault and App Service, by default outside dev', () => {
    expect(rootParam('enableDefenderPlans').defaultValue).toBe("[not(equals(parameters('environmentType'), 'dev'))]");
    expect(rootModule('defender').resource.condition).toBe("[parameters('enableDefenderPlans')]");
    const { frame, resource } = one('Microsoft.Security/pricings');
    expect(resource.properties?.pricingTier).toBe('Standard');
    const plans = (frame.template.variables?.plans as { name: string }[]).map((plan) => plan.name);
    expect(new Set(plans)).toEqual(new Set(['CosmosDbs', 'StorageAccounts', 'KeyVaults', 'AppServices']));
  });
});
