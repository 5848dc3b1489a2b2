/**
 * The compiled ARM template (infra/build/main.json) as a tree the infrastructure tests walk.
 * Bicep modules compile into Microsoft.Resources/deployments resources whose inner
 * templates hold the real resources, so every lookup walks the templates recursively and
 * `trace` follows `[parameters('x')]` / `[variables('x')]` back to where a value comes from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, inject } from 'vitest';
import { ROOT, TEMPLATE_PATH } from '../support/arm-template-build.js';
export const BUILD_HINT = 'the test run builds it (tests/support/global-setup.ts); by hand: `bash scripts/bicep-build.sh`';
// Without a Bicep CLI (no dotnet) the run says so once and skips these; under CI it fails instead.
export const suite = describe.skipIf(inject('armTemplateUnavailable') !== '');


/** EU member states plus the EEA's Iceland, Liechtenstein and Norway (ISO 3166-1 alpha-2). */
export const EU_EEA_COUNTRIES = new Set([
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT',
  'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE', 'IS', 'LI', 'NO',
]);

/** Azure regions in Europe and the country their datacentres are in. */
export const EUROPEAN_AZURE_REGIONS: Record<string, string> = {
  austriaeast: 'AT',
  belgiumcentral: 'BE',
  denmarkeast: 'DK',
  finlandcentral: 'FI',
  francecentral: 'FR',
  francesouth: 'FR',
  germanynorth: 'DE',
  germanywestcentral: 'DE',
  greececentral: 'GR',
  italynorth: 'IT',
  northeurope: 'IE',
  norwayeast: 'NO',
  norwaywest: 'NO',
  polandcentral: 'PL',
  spaincentral: 'ES',
  swedencentral: 'SE',
  swedensouth: 'SE',
  westeurope: 'NL',
  // Not EU/EEA:
  switzerlandnorth: 'CH',
  switzerlandwest: 'CH',
  uksouth: 'GB',
  ukwest: 'GB',
};


// ---------------------------------------------------------------------------------------
// ARM template model and walking
// ---------------------------------------------------------------------------------------

export type Json = unknown;

export interface ArmParameter {
  type: string;
  defaultValue?: Json;
  allowedValues?: Json[];
  minValue?: number;
  maxValue?: number;
  minLength?: number;
}

export interface ArmResource {
  type: string;
  name?: string;
  location?: Json;
  kind?: string;
  condition?: Json;
  existing?: boolean;
  tags?: Record<string, Json>;
  sku?: Record<string, Json>;
  scope?: Json;
  dependsOn?: Json[];
  properties?: Record<string, Json>;
}

export interface ArmTemplate {
  languageVersion?: string;
  parameters?: Record<string, ArmParameter>;
  variables?: Record<string, Json>;
  resources: ArmResource[] | Record<string, ArmResource>;
  outputs?: Record<string, { value?: Json }>;
}

/** One template in the module tree; `bindings` are the values its parent passes in. */
export interface Frame {
  template: ArmTemplate;
  path: string;
  parent?: Frame;
  bindings?: Record<string, { value?: Json }>;
}

export interface Found {
  resource: ArmResource;
  frame: Frame;
  symbol: string;
}

let cached: ArmTemplate | undefined;

export function template(): ArmTemplate {
  if (cached) return cached;
  if (!existsSync(TEMPLATE_PATH)) {
    throw new Error(`${relative(ROOT, TEMPLATE_PATH)} is missing: ${BUILD_HINT}.`);
  }
  cached = JSON.parse(readFileSync(TEMPLATE_PATH, 'utf8')) as ArmTemplate;
  return cached;
}

export function resourcesOf(t: ArmTemplate): [string, ArmResource][] {
  return Array.isArray(t.resources)
    ? t.resources.map((r, i) => [r.name ?? String(i), r] as [string, ArmResource])
    : Object.entries(t.resources);
}

export function walk(frame: Frame, out: Found[] = []): Found[] {
  for (const [symbol, resource] of resourcesOf(frame.template)) {
    out.push({ resource, frame, symbol });
    if (resource.type.toLowerCase() === 'microsoft.resources/deployments') {
      const props = resource.properties ?? {};
      const inner = props.template as ArmTemplate | undefined;
      if (inner) {
        walk(
          {
            template: inner,
            path: `${frame.path}/${symbol}`,
            parent: frame,
            bindings: (props.parameters ?? {}) as Record<string, { value?: Json }>,
          },
          out,
        );
      }
    }
  }
  return out;
}

let walked: Found[] | undefined;

export function all(): Found[] {
  walked ??= walk({ template: template(), path: 'main' });
  return walked;
}

/** Resources of a type, optionally only those declared in one module (the last segment of its path, e.g. `uploadStorage`). */
export function byType(type: string, module?: string): Found[] {
  return all().filter(
    (f) => f.resource.type.toLowerCase() === type.toLowerCase() && !f.resource.existing && (module === undefined || f.frame.path.endsWith(`/${module}`)),
  );
}

export function one(type: string, module?: string): Found {
  const found = byType(type, module);
  expect(found, `exactly one ${type}${module ? ` in ${module}` : ''}`).toHaveLength(1);
  return found[0] as Found;
}

export const PARAM_REF = /^\[parameters\('([^']+)'\)\]$/;
export const VAR_REF = /^\[variables\('([^']+)'\)\]$/;

export type Trace =
  | { kind: 'root-param'; name: string; param: ArmParameter }
  | { kind: 'unbound-param'; name: string; frame: string }
  | { kind: 'value'; value: Json };

/** Follows parameter and variable references up the module tree to where a value comes from. */
export function trace(value: Json, frame: Frame): Trace {
  if (typeof value === 'string') {
    const param = PARAM_REF.exec(value)?.[1];
    if (param !== undefined) {
      if (!frame.parent) {
        const def = frame.template.parameters?.[param];
        if (!def) throw new Error(`no root parameter ${param}`);
        return { kind: 'root-param', name: param, param: def };
      }
      const binding = frame.bindings?.[param];
      if (!binding || !('value' in binding)) return { kind: 'unbound-param', name: param, frame: frame.path };
      return trace(binding.value, frame.parent);
    }
    const variable = VAR_REF.exec(value)?.[1];
    if (variable !== undefined) {
      const vars = frame.template.variables ?? {};
      if (!(variable in vars)) throw new Error(`no variable ${variable} in ${frame.path}`);
      return trace(vars[variable], frame);
    }
  }
  return { kind: 'value', value };
}

/** Highest value a number can take: literal, or the maxValue of every parameter on its way in. */
export function upperBound(value: Json, frame: Frame): number {
  if (typeof value === 'number') return value;
  const param = typeof value === 'string' ? PARAM_REF.exec(value)?.[1] : undefined;
  if (param === undefined) throw new Error(`cannot bound ${JSON.stringify(value)} in ${frame.path}`);
  const def = frame.template.parameters?.[param];
  const own = def?.maxValue ?? Number.POSITIVE_INFINITY;
  if (!frame.parent) return own;
  const binding = frame.bindings?.[param];
  const outer = binding && 'value' in binding ? upperBound(binding.value, frame.parent) : (def?.defaultValue as number);
  return Math.min(own, outer);
}

export function literal(value: Json, frame: Frame): Json {
  const t = trace(value, frame);
  if (t.kind !== 'value') throw new Error(`${JSON.stringify(value)} in ${frame.path} is not a literal (${t.kind})`);
  return t.value;
}

export function rootParam(name: string): ArmParameter {
  const p = template().parameters?.[name];
  if (!p) throw new Error(`main.bicep has no parameter ${name}`);
  return p;
}

export function allowedRegions(name: string): string[] {
  return (rootParam(name).allowedValues ?? []).filter((v): v is string => typeof v === 'string' && v !== '');
}

/** Replaces variables('x') that hold plain strings by the string, for readable checks. */
export function inlineVariables(expression: Json, frame: Frame): string {
  const vars = frame.template.variables ?? {};
  return String(expression).replace(/variables\('([^']+)'\)/g, (match, name: string) =>
    typeof vars[name] === 'string' ? `'${vars[name] as string}'` : match,
  );
}

export function paramsReferenced(expression: string): string[] {
  return [...expression.matchAll(/parameters\('([^']+)'\)/g)].map((m) => m[1] as string);
}

export function frameWith(type: string, module?: string): Frame {
  return one(type, module).frame;
}

export function appSettings(): Record<string, Json> {
  const config = byType('Microsoft.Web/sites/config').find((f) => String(f.resource.name).includes('appsettings'));
  expect(config, 'Microsoft.Web/sites/config appsettings').toBeDefined();
  return (config as Found).resource.properties ?? {};
}
