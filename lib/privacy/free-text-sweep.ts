import type { Container, FeedOptions, PartitionKey, SqlQuerySpec } from '@azure/cosmos';
import type { z } from 'zod';
import { isCosmosStatus } from '../data/cosmos-errors.js';

/** Rewrites one text: the new text and how many mentions it replaced (the text unchanged to only count). */
export type TextEdit = (text: string) => { text: string; mentions: number };

export interface FreeTextPageRequest {
  /** Where the previous page ended; absent for the first page. Never leaves the orchestration. */
  cursor?: string | undefined;
  limit: number;
}

export interface FreeTextPageResult {
  /** Documents read. */
  scanned: number;
  /** Mentions the edit found (and, when it changed the text, replaced). */
  mentions: number;
  /** Where the next page starts; null after the last. */
  cursor: string | null;
}

/**
 * A provider's free text: fields people type, in which they may name anyone. The erasure's
 * name sweep (docs/name-sweep.md) pages through them with `sweep`; a test checks that every
 * field built with `freeText` (lib/http/text-input.ts) is in some provider's `inputs`.
 */
export interface FreeTextDeclaration {
  /** The input schemas whose free-text fields end up here. */
  inputs: readonly z.ZodType[];
  /** Where the text is stored: `<document type>.<path>`, `[]` for every element of an array. */
  fields: readonly string[];
  /** Applies `edit` to the free text of one bounded page of the municipality's documents, writing back what it changed. */
  sweep?(municipalityId: string, edit: TextEdit, page: FreeTextPageRequest): Promise<FreeTextPageResult>;
  /** Instead of `sweep`: why these fields are not the municipality's and are passed by. */
  notSwept?: string;
}

/**
 * Applies `edit` to the fields at `paths` (`messages[].text`) of a copy of the document:
 * the copy if any text changed, and the mentions found either way.
 */
export function editFields<T extends object>(document: T, paths: readonly string[], edit: TextEdit): { changed: T | undefined; mentions: number } {
  const copy = structuredClone(document) as Record<string, unknown>;
  let mentions = 0;
  let changed = false;
  const visit = (holder: Record<string, unknown>, segments: readonly string[]) => {
    const [head, ...rest] = segments;
    if (head === undefined) return;
    const many = head.endsWith('[]');
    const key = many ? head.slice(0, -2) : head;
    const value = holder[key];
    if (many) {
      if (Array.isArray(value)) for (const item of value) if (item && typeof item === 'object') visit(item as Record<string, unknown>, rest);
      return;
    }
    if (rest.length > 0) {
      if (value && typeof value === 'object') visit(value as Record<string, unknown>, rest);
      return;
    }
    if (typeof value !== 'string') return;
    const result = edit(value);
    mentions += result.mentions;
    if (result.text !== value) {
      holder[key] = result.text;
      changed = true;
    }
  };
  for (const path of paths) visit(copy, path.split('.'));
  return { changed: changed ? (copy as T) : undefined, mentions };
}

const WRITE_ATTEMPTS = 5;

/**
 * One page of a background query with its continuation, the sweep's reading primitive. The
 * continuation is the SDK's own and stays inside the orchestration (it is never sealed for a
 * caller because no caller sees it).
 */
export async function queryFreeTextPage<T>(container: Container, spec: SqlQuerySpec, page: FreeTextPageRequest, options: FeedOptions = {}): Promise<{ items: (T & { _etag?: string })[]; cursor: string | null }> {
  const iterator = container.items.query<T & { _etag?: string }>(spec, { ...options, maxItemCount: page.limit, continuationToken: page.cursor });
  // A cross-partition page may legitimately come back empty while results remain: read on
  // until one has items or the query is done, so an empty page never ends a sweep early.
  for (;;) {
    const response = await iterator.fetchNext();
    const items = response.resources ?? [];
    const cursor = response.continuationToken ?? null;
    if (items.length > 0 || !cursor || !iterator.hasMoreResults()) return { items, cursor };
  }
}

/**
 * Writes the edited document only if nobody changed it since it was read; on a conflict,
 * reads it again and edits that. Someone typing at the same moment keeps their words.
 */
export async function rewriteEdited<T extends { id: string; _etag?: string }>(
  container: Container,
  document: T,
  partitionKey: PartitionKey,
  paths: readonly string[],
  edit: TextEdit,
): Promise<number> {
  let current: T | undefined = document;
  let etag = document._etag;
  for (let attempt = 0; attempt < WRITE_ATTEMPTS && current; attempt += 1) {
    const { changed, mentions } = editFields(current, paths, edit);
    if (!changed) return mentions;
    try {
      // System fields stay out of the body: the local emulator would store a stale `_etag` as data.
      const body = Object.fromEntries(Object.entries(changed).filter(([key]) => !key.startsWith('_')));
      await container.item(current.id, partitionKey).replace(body, etag ? { accessCondition: { type: 'IfMatch', condition: etag } } : {});
      return mentions;
    } catch (error) {
      // Deleted since the page was read (retention, another erasure): nothing left to redact.
      if (isCosmosStatus(error, 404)) return 0;
      if (!isCosmosStatus(error, 412)) throw error;
      const reread: { resource?: T; etag: string } = await container.item(current.id, partitionKey).read<T>();
      current = reread.resource;
      etag = reread.etag;
    }
  }
  if (current) throw new Error('a free-text document kept changing while it was swept');
  return 0;
}
