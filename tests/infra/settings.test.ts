/**
 * Settings and secrets owned by the IaC, and residency beyond the main location: every app
 * setting the app reads comes from the template (a provision replaces the whole set), ACS Email
 * keeps its data in Norway or Europe and the app sends with its identity, the digest key is
 * written only when one is given and any new version of it alerts, and the Cosmos DB
 * allowed-locations policy covers replica regions at subscription scope.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { EU_EEA_REGIONS } from '../../lib/config/eu-regions.js';
import { ROOT } from '../support/arm-template-build.js';
import { appSettings, byType, inlineVariables, literal, one, rootParam, suite, trace, type Found, type Json } from './arm-template-model.js';

const EMAIL_SENDER_ROLE = '09976791-48a7-449e-bb21-39d1a415f350';
const COSMOS_ALLOWED_LOCATIONS_POLICY = '0473574d-2d43-4217-aefe-941fcdf7e684';

suite('settings, secrets and residency', () => {
  it('sets APP_VERSION, OTEL_SERVICE_NAME and the e-mail settings in the template, so a provision never drops them', () => {
    const settings = appSettings();
    const site = one('Microsoft.Web/sites');
    expect(settings.APP_VERSION).toBe("[parameters('appVersion')]");
    expect(trace("[parameters('appVersion')]", site.frame)).toMatchObject({ kind: 'root-param', name: 'appVersion' });
    expect(settings.OTEL_SERVICE_NAME).toBe("[parameters('name')]");
    expect(trace("[parameters('emailEndpoint')]", site.frame)).toEqual({ kind: 'value', value: "[reference('email').outputs.endpoint.value]" });
    expect(trace("[parameters('emailSenderAddress')]", site.frame)).toEqual({ kind: 'value', value: "[reference('email').outputs.senderAddress.value]" });
    expect(settings.EMAIL_ENDPOINT).toBe("[parameters('emailEndpoint')]");
    expect(settings.EMAIL_SENDER_ADDRESS).toBe("[parameters('emailSenderAddress')]");
    // The operations guide names no setting for ops to add by hand.
    const operations = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
    expect(operations).not.toMatch(/not set by infra/i);
  });

  it('provisions ACS Email with its data in Norway or Europe, no engagement tracking, and the send role for the app identity', () => {
    for (const type of ['Microsoft.Communication/emailServices', 'Microsoft.Communication/communicationServices']) {
      const { resource, frame } = one(type);
      expect(trace(resource.properties?.dataLocation, frame), type).toMatchObject({ kind: 'root-param', name: 'emailDataLocation' });
    }
    expect(rootParam('emailDataLocation').allowedValues).toEqual(['Norway', 'Europe']);
    expect(rootParam('emailDataLocation').defaultValue).toBe('Norway');
    const domain = one('Microsoft.Communication/emailServices/domains').resource.properties ?? {};
    expect(domain.domainManagement).toBe('AzureManaged');
    expect(domain.userEngagementTracking).toBe('Disabled');
    const emailFrame = one('Microsoft.Communication/communicationServices').frame;
    const grant = byType('Microsoft.Authorization/roleAssignments').find((f) => f.frame === emailFrame) as Found;
    expect(inlineVariables(grant.resource.properties?.roleDefinitionId, emailFrame)).toContain(EMAIL_SENDER_ROLE);
    expect(trace(grant.resource.properties?.principalId, emailFrame)).toEqual({ kind: 'value', value: "[reference('identity').outputs.principalId.value]" });
  });

  it('alerts on every new version of the privacy digest key, from the Key Vault audit log', () => {
    const { frame } = one('Microsoft.Insights/scheduledQueryRules');
    const rules = frame.template.variables?.logAlerts as { name: string; query: string; onWorkspace?: boolean }[];
    const rule = rules.find((r) => r.name.includes('alert-digest-key-changed')) as { query: string; onWorkspace?: boolean };
    expect(rule, 'alert-digest-key-changed').toBeDefined();
    expect(rule.onWorkspace, 'the audit log is in the workspace, not Application Insights').toBe(true);
    const query = String(literal(rule.query, frame));
    expect(query).toContain('"SecretSet"');
    expect(query).toContain('/secrets/privacy-digest-key');
  });

  it('assigns the built-in Cosmos DB allowed locations policy to the subscription with the EU/EEA list, so replicas are checked too', () => {
    const assignment = byType('Microsoft.Authorization/policyAssignments').find((f) =>
      inlineVariables(f.resource.properties?.policyDefinitionId, f.frame).includes(COSMOS_ALLOWED_LOCATIONS_POLICY),
    ) as Found;
    expect(assignment, 'Cosmos DB allowed locations assignment').toBeDefined();
    expect(assignment.frame.parent, 'at subscription scope (main.bicep)').toBeUndefined();
    expect(assignment.resource.condition).toBe("[parameters('assignCosmosLocationPolicy')]");
    expect(rootParam('assignCosmosLocationPolicy').defaultValue).toBe("[not(equals(parameters('environmentType'), 'dev'))]");
    const listed = literal((assignment.resource.properties?.parameters as Record<string, { value: Json }>).listOfAllowedLocations?.value, assignment.frame);
    expect(new Set(listed as string[])).toEqual(new Set(EU_EEA_REGIONS));
  });
});
