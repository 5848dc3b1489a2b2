import type { Container, PartitionKey } from '@azure/cosmos';
import { unquoteEtag } from '../http/etag.js';
import { problems } from '../http/problem.js';
import { isCosmosStatus } from './cosmos-errors.js';

export interface Versioned<T> {
  value: T;
  etag: string;
}

/** The partition key fields of the container, in key order, with their values. */
export type PartitionFilter = readonly (readonly [field: string, value: string])[];

/**
 * The SDK's partition key: a plain value for a single-level key, an array for a
 * hierarchical one (also when only a prefix of it is given).
 */
export function partitionKeyOf(partition: PartitionFilter, hierarchical = partition.length > 1): PartitionKey {
  return hierarchical ? partition.map(([, value]) => value) : (partition[0]?.[1] as string);
}

/**
 * One point read of a document of a given type. Several types share a container, so a
 * document of another type under the same id is "not found", never returned; and the
 * partition fields are checked on the document too, because the local emulator matches
 * only the first level of a hierarchical key on point reads.
 */
export async function readTyped<T extends { type: string }>(
  container: Container,
  id: string,
  partition: PartitionFilter,
  type: T['type'],
): Promise<Versioned<T> | undefined> {
  try {
    const { resource, etag } = await container.item(id, partitionKeyOf(partition)).read<T>();
    if (!resource || resource.type !== type) return undefined;
    const fields = resource as unknown as Record<string, unknown>;
    if (partition.some(([field, value]) => fields[field] !== value)) return undefined;
    // A subject under erasure is gone for every reader from the moment the erasure was accepted.
    if (fields.erasureId !== undefined) return undefined;
    return { value: resource, etag };
  } catch (error) {
    if (isCosmosStatus(error, 404)) return undefined;
    throw error;
  }
}

/**
 * Optimistic concurrency: the caller's If-Match must be the ETag read, and the replace is
 * conditional on it, so of two writers holding the same ETag exactly one wins.
 */
export async function replaceIfMatch<T extends { id: string }>(
  container: Container,
  partitionKey: PartitionKey,
  current: Versioned<T>,
  next: T,
  ifMatch: string,
): Promise<Versioned<T>> {
  if (unquoteEtag(current.etag) !== ifMatch) throw problems.preconditionFailed();
  try {
    const { resource, etag } = await container
      .item(next.id, partitionKey)
      .replace<T>(next, { accessCondition: { type: 'IfMatch', condition: current.etag } });
    if (!resource) throw problems.notFound();
    return { value: resource, etag };
  } catch (error) {
    if (isCosmosStatus(error, 412)) throw problems.preconditionFailed();
    if (isCosmosStatus(error, 404)) throw problems.notFound();
    throw error;
  }
}

/** Deletes a document that may already be gone (idempotent erasure and expiry steps): 1 if it was there. */
export async function deleteIfPresent(container: Container, id: string, partitionKey: PartitionKey): Promise<number> {
  try {
    await container.item(id, partitionKey).delete();
    return 1;
  } catch (error) {
    if (isCosmosStatus(error, 404)) return 0;
    throw error;
  }
}
