import type { Container } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanOp } from '../../lib/roster-import/roster-plan.js';
import { RosterWriter } from '../../lib/roster-import/roster-writer.js';
import { registerMunicipality, startTestApp, type TestApp } from '../support/test-app.js';

const M = '1833';

/** The real container, with each call of a method of `container.items` recorded by name (a spy, not a fake: every call goes through). */
function recordingItems(container: Container, calls: string[]): Container {
  const items = new Proxy(container.items, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return (value as (...parameters: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return new Proxy(container, { get: (target, property) => (property === 'items' ? items : Reflect.get(target, property, target)) });
}

describe('roster writer: one batch of the plan', () => {
  let test: TestApp;
  let directory: Container;

  beforeAll(async () => {
    test = await startTestApp();
    await registerMunicipality(test, M);
    directory = test.app.services.cosmos.containers.directory;
  }, 60_000);

  afterAll(async () => {
    await test?.close();
  });

  const doc = (id: string, updatedAt: string) => ({ id, municipalityId: M, type: 'roster-writer-probe', updatedAt });

  it('counts as failed, and does not throw for, a replace of a document deleted since it was planned (as an erasure does)', async () => {
    const runAt = '2026-11-30T03:00:00.000Z';
    const planned = (await directory.items.create(doc('erased', '2026-01-01T00:00:00.000Z'))).resource?._etag ?? '';
    await directory.item('erased', M).delete();
    const writer = new RosterWriter(directory, test.app.services.users);
    const outcome = await writer.apply(M, [{ op: 'replace', doc: doc('erased', runAt), etag: planned }, { op: 'create', doc: doc('beside-erased', runAt) }]);
    expect({ written: outcome.written.map((op) => op.doc.id), failed: outcome.failed }).toEqual({ written: ['beside-erased'], failed: 1 });
    expect((await directory.item('erased', M).read()).resource).toBeUndefined();
  });

  it('sends a partial batch as one items.bulk request at once (never executeBulkOperations, which waits a second for a partial batch) and judges each write alone', async () => {
    const runAt = '2026-11-30T03:00:00.000Z';
    const stale = (await directory.items.create(doc('stale', '2026-01-01T00:00:00.000Z'))).resource?._etag ?? '';
    const done = await directory.items.create(doc('done-before', '2026-01-01T00:00:00.000Z'));
    // A crashed attempt of this run already replaced it: it carries the run's updatedAt under a newer ETag.
    await directory.item('done-before', M).replace(doc('done-before', runAt));
    const current = (await directory.items.create(doc('current', '2026-01-01T00:00:00.000Z'))).resource?._etag ?? '';
    await directory.items.create(doc('exists', runAt));
    // Changed through the API after planning: the planned replace must not overwrite it.
    await directory.item('stale', M).replace(doc('stale', '2026-06-01T00:00:00.000Z'));

    const ops: PlanOp[] = [
      { op: 'create', doc: doc('new', runAt) },
      { op: 'create', doc: doc('exists', runAt) },
      { op: 'replace', doc: doc('stale', runAt), etag: stale },
      { op: 'replace', doc: doc('done-before', runAt), etag: done.resource?._etag ?? '' },
      { op: 'replace', doc: doc('current', runAt), etag: current },
    ];
    const calls: string[] = [];
    const writer = new RosterWriter(recordingItems(directory, calls), test.app.services.users);
    const outcome = await writer.apply(M, ops);
    expect({ written: outcome.written.length, failed: outcome.failed }).toEqual({ written: 4, failed: 1 });
    expect(calls).toEqual(['bulk']);

    const updatedAt = async (id: string) => (await directory.item(id, M).read<{ updatedAt: string }>()).resource?.updatedAt;
    expect(await updatedAt('new')).toBe(runAt);
    expect(await updatedAt('current')).toBe(runAt);
    expect(await updatedAt('stale')).toBe('2026-06-01T00:00:00.000Z');
  });

  it('reports a status no rule explains instead of throwing, with what the batch did write (fault injected: the service answers 500 for one write)', async () => {
    const runAt = '2026-11-30T03:00:00.000Z';
    const bulk = directory.items.bulk.bind(directory.items);
    const items = new Proxy(directory.items, {
      get: (target, property) =>
        property === 'bulk'
          ? async (...args: Parameters<typeof bulk>) => {
              const [operations, ...rest] = args;
              const answered = await bulk(operations.slice(1), ...rest);
              return [{ statusCode: 500, requestCharge: 0 }, ...answered];
            }
          : Reflect.get(target, property, target),
    });
    const failing = new Proxy(directory, { get: (target, property) => (property === 'items' ? items : Reflect.get(target, property, target)) });
    const outcome = await new RosterWriter(failing, test.app.services.users).apply(M, [
      { op: 'create', doc: doc('refused-500', runAt) },
      { op: 'create', doc: doc('beside-500', runAt) },
    ]);
    expect({ written: outcome.written.map((op) => op.doc.id), failed: outcome.failed, unexpected: outcome.unexpected }).toEqual({ written: ['beside-500'], failed: 0, unexpected: 500 });
  });
});
