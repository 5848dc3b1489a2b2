/**
 * Preloaded into Azurite (`node --import`). Azurite keeps blob metadata in LokiJS collections
 * with binary indices, and two LokiJS 1.5 behaviours make each blob request cost time that
 * grows with every blob stored, so that no retention bench at the issues' sizes (20,000 blobs)
 * finishes: deletes fell to a handful a second.
 *
 * - `removeBatchByPositions` (behind every `findAndRemove`, so every delete) rebuilds each
 *   index by sorting the whole collection. A small batch is removed one document at a time
 *   instead, through `remove`, which updates the indices in place (what LokiJS does for a
 *   single document anyway).
 * - A query object uses an index for its first property only, and Azurite's queries start with
 *   `accountName`, the same for every blob: every lookup scanned the collection. The property
 *   whose index narrows the query most goes first (AND is commutative; Azurite sorts every
 *   listing itself).
 *
 * The same documents match and leave, the same events fire, the indices stay sorted. What may
 * differ is which of several matches a `findOne` meets first (a blob and its snapshots): LokiJS
 * orders equal values by its index history, which Azurite's own inserts and rebuilds already
 * vary, and the app takes no snapshots and no leases.
 */
import { createRequire } from 'node:module';

// Azurite's own LokiJS: the module instance its stores are built from.
const azuriteRequire = createRequire(createRequire(import.meta.url).resolve('azurite/package.json'));
const Loki = azuriteRequire('lokijs');

/** Above this many documents, one rebuild is cheaper than updating the indices per document. */
const IN_PLACE_LIMIT = 64;

const rebuildingRemove = Loki.Collection.prototype.removeBatchByPositions;

Loki.Collection.prototype.removeBatchByPositions = function removeBatchByPositions(positions) {
  const indexed = this.adaptiveBinaryIndices && Object.keys(this.binaryIndices).length > 0;
  if (!indexed || positions.length > IN_PLACE_LIMIT) return rebuildingRemove.call(this, positions);
  // Documents, not positions: each removal shifts the positions after it.
  const documents = positions.map((position) => this.data[position]);
  for (const document of documents) this.remove(document);
};

const scanningFind = Loki.Resultset.prototype.find;

Loki.Resultset.prototype.find = function find(query, firstOnly) {
  return scanningFind.call(this, this.filterInitialized ? query : narrowestFirst(this.collection, query), firstOnly);
};

/** The query with its equality on the most selective indexed property first. */
export function narrowestFirst(collection, query) {
  if (query === null || typeof query !== 'object' || Array.isArray(query) || !collection.adaptiveBinaryIndices || collection.data.length === 0) return query;
  const keys = Object.keys(query);
  if (keys.length < 2) return query;
  let narrowest;
  let matches = Infinity;
  for (const key of keys) {
    const value = query[key];
    if (!collection.binaryIndices[key] || (typeof value !== 'string' && typeof value !== 'number')) continue;
    const [low, high] = collection.calculateRange('$eq', key, value);
    if (high - low + 1 < matches) [narrowest, matches] = [key, high - low + 1];
  }
  if (narrowest === undefined || narrowest === keys[0]) return query;
  return Object.fromEntries([[narrowest, query[narrowest]], ...keys.filter((key) => key !== narrowest).map((key) => [key, query[key]])]);
}
