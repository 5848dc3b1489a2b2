/**
 * Alerts that cannot be silent (P12): outside dev an alert e-mail address is required, the
 * action group is regional in the EU, and there is an alert rule for each failure ops must
 * hear about: failed orchestrations, 5xx rate, latency, Cosmos DB throttling and RU
 * consumption (besides availability, retention jobs and erasures). Request telemetry, which
 * the 5xx and latency alerts read, is on in host.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../support/arm-template-build.js';
import { all, byType, one, rootParam, suite, trace, type Found, type Json } from './arm-template-model.js';

interface LogAlert {
  name: string;
  query: string;
  frequency: string;
  timeRange: string;
  dimensions: string[];
}

function logAlerts(): LogAlert[] {
  const { frame } = one('Microsoft.Insights/scheduledQueryRules');
  const vars = frame.template.variables ?? {};
  // Queries built with replace(variables('template'), ...) are checked on their template.
  const queryText = (query: string): string => {
    const name = /variables\('([^']+?)(Template)?'\)/.exec(query)?.[1];
    if (name === undefined) return query;
    const raw = vars[`${name}Template`] ?? vars[name];
    return typeof raw === 'string' && !raw.startsWith('[') ? raw : queryText(String(raw));
  };
  return (vars.logAlerts as LogAlert[]).map((rule) => ({ ...rule, query: queryText(rule.query) }));
}

function alertNamed(prefix: string): LogAlert {
  const rule = logAlerts().find((r) => r.name.startsWith(`[format('${prefix}-{0}'`));
  expect(rule, `log alert ${prefix}`).toBeDefined();
  return rule as LogAlert;
}

function cosmosMetricAlerts(): { metricName: string; timeAggregation: string; dimensions: { name: string; values: string[] }[]; threshold: Json }[] {
  const alert = byType('Microsoft.Insights/metricAlerts').find((f) => JSON.stringify(f.resource.properties?.scopes).includes('cosmosAccountId')) as Found;
  expect(alert, 'a metric alert scoped to the Cosmos DB account').toBeDefined();
  expect(trace("[parameters('cosmosAccountId')]", alert.frame)).toEqual({ kind: 'value', value: "[reference('cosmos').outputs.id.value]" });
  return alert.frame.template.variables?.cosmosMetricAlerts as ReturnType<typeof cosmosMetricAlerts>;
}

suite('alerts that cannot be silent', () => {
  it('requires an alert e-mail address outside dev: the receiver check deploys unless environmentType is dev and needs 3+ characters', () => {
    const environmentType = rootParam('environmentType');
    expect(environmentType.allowedValues).toEqual(['dev', 'test', 'prod']);
    expect(environmentType.defaultValue, 'an environment is production unless it says otherwise').toBe('prod');

    const check = all().find((f) => f.frame.parent === undefined && f.symbol === 'alertReceiver') as Found;
    expect(check, 'module alertReceiver').toBeDefined();
    expect(check.resource.condition).toBe("[not(equals(parameters('environmentType'), 'dev'))]");
    const inner = (check.resource.properties?.template ?? {}) as { parameters?: Record<string, { minLength?: number }> };
    expect(inner.parameters?.alertEmailAddress?.minLength, 'ARM refuses an empty address before the module runs').toBeGreaterThanOrEqual(3);
    expect((check.resource.properties?.parameters as Record<string, { value: Json }>).alertEmailAddress?.value).toBe("[parameters('alertEmailAddress')]");

    // The action group's address passes through the check, so the alerts are deployed after it.
    const group = one('Microsoft.Insights/actionGroups');
    expect(JSON.stringify(group.resource.properties?.emailReceivers)).toContain("parameters('alertEmailAddress')");
    const passed = trace("[parameters('alertEmailAddress')]", group.frame);
    expect(passed.kind).toBe('value');
    expect(String((passed as { value: Json }).value)).toContain("reference('alertReceiver')");
    const alertsModule = all().find((f) => f.frame.parent === undefined && f.symbol === 'alerts');
    expect(alertsModule?.resource.dependsOn).toContain('alertReceiver');

    const file = JSON.parse(readFileSync(join(ROOT, 'infra', 'main.parameters.json'), 'utf8')) as { parameters: Record<string, { value: string }> };
    expect(file.parameters.environmentType?.value).toBe('${ENGAGE_ENVIRONMENT_TYPE=prod}');
    expect(file.parameters.alertEmailAddress?.value).toBe('${ENGAGE_ALERT_EMAIL}');
  });

  it('notifies through a regional action group in an EU region, from every alert rule', () => {
    const group = one('Microsoft.Insights/actionGroups');
    expect(trace(group.resource.location, group.frame)).toMatchObject({ kind: 'root-param', name: 'actionGroupLocation' });
    expect(rootParam('actionGroupLocation').allowedValues).toEqual(['swedencentral', 'germanywestcentral']);
    for (const { resource, symbol } of [...byType('Microsoft.Insights/metricAlerts'), ...byType('Microsoft.Insights/scheduledQueryRules')]) {
      expect(JSON.stringify(resource.properties?.actions), `${symbol} notifies the action group`).toContain("resourceId('Microsoft.Insights/actionGroups'");
    }
  });

  it('alerts on a failed Durable Functions orchestration within 15 minutes', () => {
    const rule = alertNamed('alert-orchestrations-failed');
    expect(rule.query).toContain('"Host.Triggers.DurableTask"');
    expect(rule.query).toMatch(/prop__functionType"\]\) == "Orchestrator"/);
    expect(rule.query).toMatch(/prop__state"\]\) == "Failed"/);
    expect(rule.frequency).toBe('PT15M');
  });

  it('alerts on the 5xx rate and the 95th percentile latency of requests, with thresholds as parameters', () => {
    const errors = alertNamed('alert-server-errors');
    expect(errors.query).toMatch(/^requests\b/m);
    expect(errors.query).toContain('toint(resultCode) >= 500');
    expect(errors.query).toContain('__THRESHOLD__');
    const latency = alertNamed('alert-latency');
    expect(latency.query).toContain('percentile(duration, 95)');
    expect(latency.query).toContain('__THRESHOLD__');
    const { frame } = one('Microsoft.Insights/scheduledQueryRules');
    expect(frame.template.parameters?.serverErrorPercentThreshold?.defaultValue).toBe(5);
    expect(frame.template.parameters?.latencyP95ThresholdMs?.defaultValue).toBe(2000);
    for (const rule of [errors, latency]) expect(rule.frequency).toBe('PT5M');
  });

  it('alerts on Cosmos DB throttling (429s) and on normalized RU consumption, per container', () => {
    const rules = cosmosMetricAlerts();
    const throttled = rules.find((r) => r.metricName === 'TotalRequests');
    expect(throttled?.timeAggregation).toBe('Count');
    expect(throttled?.dimensions).toContainEqual({ name: 'StatusCode', operator: 'Include', values: ['429'] });
    const normalized = rules.find((r) => r.metricName === 'NormalizedRUConsumption');
    expect(normalized?.timeAggregation).toBe('Maximum');
    for (const rule of [throttled, normalized]) expect(rule?.dimensions).toContainEqual({ name: 'CollectionName', operator: 'Include', values: ['*'] });
  });

  it('keeps the retention and erasure alerts: a job with no completion in 26 h, failures, overdue or unresumed erasures', () => {
    expect(alertNamed('alert-retention-heartbeat').query).toContain('RetentionJobCompleted');
    expect(alertNamed('alert-retention-failures').query).toContain('RetentionJobFailed');
    const erasures = alertNamed('alert-erasures').query;
    expect(erasures).toContain('"ErasureOverdue"');
    expect(erasures).toContain('"ErasureBacklog"');
  });

  it('records every invocation as a request (Host.Results at Information), never sampled away', () => {
    const host = JSON.parse(readFileSync(join(ROOT, 'host.json'), 'utf8')) as {
      logging: { logLevel: Record<string, string>; applicationInsights: { samplingSettings: { excludedTypes: string } } };
    };
    expect(host.logging.logLevel['Host.Results']).toBe('Information');
    expect(host.logging.logLevel['Host.Triggers.DurableTask'] ?? host.logging.logLevel.default).toBe('Information');
    expect(host.logging.applicationInsights.samplingSettings.excludedTypes.split(';')).toContain('Request');
  });
});
