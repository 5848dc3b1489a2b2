import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';

// Azurite's own LokiJS, the module instance the preload patches.
const azuriteRequire = createRequire(createRequire(import.meta.url).resolve('azurite/package.json'));
const Loki = azuriteRequire('lokijs') as LokiModule;
const patch = new URL('../../local/azurite-lokijs-patch.mjs', import.meta.url).href;
const { narrowestFirst } = (await import(patch)) as { narrowestFirst: (collection: LokiCollection, query: object) => object };

interface BlobDoc {
  accountName: string;
  containerName: string;
  name: string;
  snapshot: string;
  $loki?: number;
}
interface LokiCollection {
  insert(doc: BlobDoc): BlobDoc;
  find(query: object): BlobDoc[];
  count(query: object): number;
  findAndRemove(query: object): void;
  checkAllIndexes(options: { randomSampling: false }): string[];
  ensureAllIndexes(force?: boolean): void;
  data: BlobDoc[];
}
interface LokiModule {
  new (name: string, options: object): { addCollection(name: string, options: object): LokiCollection };
}

/** Azurite's blob collection as it declares it, filled with blobs in two containers, some with a snapshot. */
function blobCollection(count: number): LokiCollection {
  const collection = new Loki('patch-test', { persistenceMethod: 'memory' }).addCollection('blobs', { indices: ['accountName', 'containerName', 'name', 'snapshot'] });
  for (let index = 0; index < count; index += 1) {
    const blob = (snapshot: string) => ({ accountName: 'devstoreaccount1', containerName: index % 3 === 0 ? 'exports' : 'reports', name: `m/${index % 7}/r-${index}.pdf`, snapshot });
    collection.insert(blob(''));
    if (index % 10 === 0) collection.insert(blob(`2026-11-${String(1 + (index % 28)).padStart(2, '0')}`));
  }
  return collection;
}

const ids = (docs: readonly BlobDoc[]) => docs.map((doc) => doc.$loki).sort((a = 0, b = 0) => a - b);

describe("Azurite's LokiJS, patched (local/azurite-lokijs-patch.mjs)", () => {
  it('a blob delete removes its documents without rebuilding every index', () => {
    const collection = blobCollection(500);
    const rebuild = vi.spyOn(collection, 'ensureAllIndexes');
    for (let index = 0; index < 500; index += 5) collection.findAndRemove({ accountName: 'devstoreaccount1', containerName: index % 3 === 0 ? 'exports' : 'reports', name: `m/${index % 7}/r-${index}.pdf` });
    expect(rebuild).not.toHaveBeenCalled();
    expect(collection.checkAllIndexes({ randomSampling: false })).toEqual([]);
    expect(collection.count({ name: 'm/0/r-0.pdf' })).toBe(0);
    // 500 blobs and 50 snapshots; every fifth name went, with the snapshots of the 50 that had one.
    expect(collection.data.length).toBe(550 - 100 - 50);
  });

  it('a lookup starts from the index that narrows it most', () => {
    const collection = blobCollection(200);
    expect(Object.keys(narrowestFirst(collection, { accountName: 'devstoreaccount1', containerName: 'reports', name: 'm/1/r-8.pdf', snapshot: '' }))[0]).toBe('name');
    expect(Object.keys(narrowestFirst(collection, { accountName: 'devstoreaccount1', containerName: 'exports' }))[0]).toBe('containerName');
  });

  it('lookups match exactly what a scan of the documents matches', () => {
    const collection = blobCollection(300);
    for (let index = 0; index < 300; index += 13) collection.findAndRemove({ accountName: 'devstoreaccount1', name: `m/${index % 7}/r-${index}.pdf` });
    const queries: Partial<BlobDoc>[] = [];
    for (let index = 0; index < 320; index += 3) {
      const name = `m/${index % 7}/r-${index}.pdf`;
      queries.push({ accountName: 'devstoreaccount1', containerName: 'reports', name }, { accountName: 'devstoreaccount1', containerName: 'exports', name, snapshot: '' }, { containerName: 'reports', name, accountName: 'other' }, { accountName: 'devstoreaccount1', name, snapshot: '2026-11-01' });
    }
    queries.push({ accountName: 'devstoreaccount1', containerName: 'exports' }, { accountName: 'devstoreaccount1', snapshot: '' });
    for (const query of queries) {
      const scanned = collection.data.filter((doc) => Object.entries(query).every(([key, value]) => doc[key as keyof BlobDoc] === value));
      expect(ids(collection.find(query)), JSON.stringify(query)).toEqual(ids(scanned));
      expect(collection.count(query)).toBe(scanned.length);
    }
  });
});
