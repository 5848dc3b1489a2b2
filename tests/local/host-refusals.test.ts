import { describe, expect, it } from 'vitest';
import { defineFeature, type Feature } from '../../lib/app/feature.js';
import { durableClientNeeds, functionManifest, type FunctionDeclaration } from '../../lib/app/function-manifest.js';
import { featuresByName, functionRegistrations } from '../../lib/app/function-registrations.js';
import { HostConformanceError } from '../../lib/app/host-rules.js';
import { defineRoute } from '../../lib/http/route.js';
import { startLocalHost } from '../../local/host.js';

/*
 * The local host serves registrations made from function declarations, as the Functions entry
 * does from its manifest, and refuses to start on any the real host would refuse or misroute
 * (lib/app/host-rules.ts). Its features here are declarations only: no request reaches them.
 */

const route = (name: string, path: string, uses: readonly ('jobs' | 'logger')[] = []) =>
  defineRoute({
    name,
    method: 'GET',
    path,
    summary: 'A route for the refusal tests',
    tag: 'test',
    access: { kind: 'public' },
    successStatus: 200,
    uses,
    handler: async () => ({ status: 200, body: {} }),
  });

const services = () => Promise.reject(new Error('no request reaches these functions'));

function startWith(features: readonly Feature[], manifest: readonly FunctionDeclaration[] = functionManifest(features)) {
  return startLocalHost({
    registrations: functionRegistrations(manifest, featuresByName(features), services),
    needsDurableClient: durableClientNeeds(features),
    maxBodyBytes: 1024,
    corsAllowedOrigins: [],
    port: 0,
  });
}

async function refusal(start: Promise<unknown>): Promise<string[]> {
  const error = await start.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(HostConformanceError);
  return (error as HostConformanceError).violations.map((violation) => `${violation.rule} ${violation.functionName}`);
}

describe('the local host refuses what the Functions host refuses', () => {
  it('a route under admin/ or runtime/, which the host reserves', async () => {
    const feature = defineFeature({ name: 'reserved', routes: [route('list-things', '/admin/things'), route('runtime-status', '/runtime/status')] });
    expect(await refusal(startWith([feature]))).toEqual(['reserved-route list-things', 'reserved-route runtime-status']);
  });

  it('a route that sorts before a more specific one it overlaps, which the host would route to first (function-name order)', async () => {
    const feature = defineFeature({ name: 'order', routes: [route('a-any-thing', '/things/{id}'), route('b-mine', '/things/mine')] });
    expect(await refusal(startWith([feature]))).toEqual(['route-order b-mine']);
  });

  it('a function whose feature uses the job scheduler, declared without the durableClient input (a stale manifest)', async () => {
    const feature = defineFeature({ name: 'jobs-route', routes: [route('start-thing', '/things/runs', ['jobs'])] });
    const stale = functionManifest([feature]).map((declaration) => ({ ...declaration, durableClient: false }));
    expect(await refusal(startWith([feature], stale))).toEqual(['durable-client-input start-thing']);
  });

  it('and starts with the same functions declared as the host wants them (the control)', async () => {
    const feature = defineFeature({ name: 'fine', routes: [route('b-any-thing', '/things/{id}'), route('a-mine', '/things/mine'), route('a-start-thing', '/things/runs', ['jobs'])] });
    const host = await startWith([feature]);
    await host.close();
  });
});
