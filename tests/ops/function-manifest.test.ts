import { readFile } from 'node:fs/promises';
import { InvocationContext } from '@azure/functions';
import { describe, expect, it, vi } from 'vitest';
import { defineFeature, type Feature } from '../../lib/app/feature.js';
import { functionManifest, type FunctionDeclaration } from '../../lib/app/function-manifest.js';
import { featuresByName, functionRegistrations, type ActivityFunction } from '../../lib/app/function-registrations.js';
import type { Services } from '../../lib/services.js';
import { FEATURES } from '../../lib/features.js';
import { FEATURE_MODULES, FUNCTION_MANIFEST } from '../../functions/function-manifest.js';
import { FUNCTION_MANIFEST_FILE, generateFunctionManifest } from '../../scripts/function-manifest.js';

/** Services a test's own activity never reads: it echoes its input. */
const noServices = () => Promise.resolve({} as Services);

const echoFeature: Feature = defineFeature({ name: 'echo', activities: () => ({ echo: async (input: unknown) => input }) });

describe('the Functions entry registers from a generated manifest (cold start)', () => {
  it('is not stale: functions/function-manifest.ts is what the features declare now (else run `npm run function-manifest`)', async () => {
    expect(await readFile(FUNCTION_MANIFEST_FILE, 'utf8')).toBe(await generateFunctionManifest());
  }, 60_000);

  it('declares every function of every feature, and a module for every feature that loads that very feature', async () => {
    expect(FUNCTION_MANIFEST).toEqual(functionManifest(FEATURES));
    expect(Object.keys(FEATURE_MODULES)).toEqual(FEATURES.map((feature) => feature.name));
    for (const feature of FEATURES) expect(await FEATURE_MODULES[feature.name]!(), feature.name).toBe(feature);
  }, 60_000);

  it("a function loads its feature on its first invocation, once, and not before", async () => {
    const featureNamed = vi.fn(featuresByName([echoFeature]));
    const registrations = functionRegistrations(functionManifest([echoFeature]), featureNamed, noServices);
    const echo = registrations.find((registration): registration is ActivityFunction => registration.kind === 'activity' && registration.name === 'echo');
    expect(featureNamed).not.toHaveBeenCalled();
    expect(await echo?.handler('one', new InvocationContext())).toBe('one');
    expect(await echo?.handler('two', new InvocationContext())).toBe('two');
    expect(featureNamed).toHaveBeenCalledTimes(1);
    expect(featureNamed).toHaveBeenCalledWith('echo');
  });

  it('a manifest entry its feature no longer declares fails its invocation, naming the command that fixes it', async () => {
    const stale: FunctionDeclaration[] = [{ kind: 'activity', name: 'renamed-away', feature: 'echo' }];
    const [activity] = functionRegistrations(stale, featuresByName([echoFeature]), noServices) as [ActivityFunction];
    await expect(activity.handler('input', new InvocationContext())).rejects.toThrow(/renamed-away.*npm run function-manifest/);
  });

  it("refuses a job whose orchestrator another feature declares: each function runs from its own feature's module", () => {
    const job = { name: 'orphan', orchestrator: 'elsewhere', dailyAt: { hourUtc: 1, minuteUtc: 0 }, unit: { one: 'item', many: 'items' }, overdue: { uses: [], count: async () => 0 } };
    expect(() => functionManifest([defineFeature({ name: 'orphan-jobs', jobs: [job] })])).toThrow(/orphan.*elsewhere/);
  });
});
