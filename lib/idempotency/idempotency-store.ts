import type { Container } from '@azure/cosmos';
import type { Clock } from '../clock.js';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { deleteIfPresent } from '../data/documents.js';
import { HttpProblem } from '../http/problem.js';
import { keyedDigest } from '../privacy/keyed-digest.js';

/** What a repeat with the same key gets back: the first response, as it was sent. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  /** The JSON body as sent, or a raw body in base64. */
  body?: string;
  rawBase64?: string;
}

interface IdempotencyRecord {
  id: string;
  pk: string;
  type: 'idempotency-record';
  /** A digest of the request (route, path, query, body): the same key with another request is refused. */
  fingerprint: string;
  state: 'started' | 'completed';
  /** While a started request holds the key; after it, a repeat may run the request again. */
  leaseUntil: string;
  expiresAt: string;
  /** Seconds: Cosmos DB deletes the record when the key expires. */
  ttl: number;
  response?: StoredResponse;
  /** Every id the stored response names: erasure finds the copies of a person's data here. */
  mentions: string[];
}

export interface Reservation {
  id: string;
  pk: string;
  etag: string;
  record: IdempotencyRecord;
}

export type Begun = { kind: 'run'; reservation: Reservation } | { kind: 'replay'; response: StoredResponse };

export interface IdempotencyOptions {
  /** How long keys are remembered. */
  retentionSeconds: number;
  /** How long a started request holds its key before a repeat may run it again. */
  leaseSeconds: number;
}

export const IDEMPOTENCY_DEFAULTS: IdempotencyOptions = { retentionSeconds: 24 * 3600, leaseSeconds: 120 };

/**
 * Idempotency keys (draft-ietf-httpapi-idempotency-key-header): a POST that carries one is
 * run once per caller and key; a repeat with the same request gets the first response and
 * writes nothing, the same key with another request is 422, a repeat while the first is
 * still running is 409. Records live in their own container, partitioned by caller, keyed
 * by a digest of caller and key, and expire after 24 hours.
 */
export class IdempotencyStore {
  constructor(
    private readonly records: Container,
    private readonly clock: Clock,
    private readonly digestKey: string,
    private readonly options: IdempotencyOptions = IDEMPOTENCY_DEFAULTS,
  ) {}

  /** The partition of a caller's keys: a digest, so the container names nobody. */
  scopeOf(caller: string): string {
    return keyedDigest(this.digestKey, `idempotency-scope:${caller}`);
  }

  async begin(caller: string, key: string, fingerprint: string): Promise<Begun> {
    const pk = this.scopeOf(caller);
    const id = keyedDigest(this.digestKey, `idempotency-key:${caller}\u0000${key}`);
    const fresh = this.started(id, pk, fingerprint);
    try {
      const { etag } = await this.records.items.create(fresh);
      return { kind: 'run', reservation: { id, pk, etag: etag ?? '', record: fresh } };
    } catch (error) {
      if (!isCosmosStatus(error, 409)) throw error;
    }
    const { resource: existing, etag } = await this.records.item(id, pk).read<IdempotencyRecord>();
    const now = this.clock.now();
    if (!existing || new Date(existing.expiresAt) <= now) return this.takeOver(id, pk, fingerprint, etag);
    if (existing.fingerprint !== fingerprint) {
      throw new HttpProblem(422, 'idempotency-key-reused', 'Idempotency key reused', 'This Idempotency-Key was sent with a different request; use a new key for a new request');
    }
    if (existing.state === 'completed' && existing.response) return { kind: 'replay', response: existing.response };
    const leaseLeft = Math.ceil((new Date(existing.leaseUntil).getTime() - now.getTime()) / 1000);
    if (leaseLeft > 0) throw inProgress(Math.min(leaseLeft, 5));
    // The first attempt stopped without an outcome (its instance died): this one runs the request.
    return this.takeOver(id, pk, fingerprint, etag);
  }

  /** The outcome of a run: repeats get this response until the key expires. */
  async complete(reservation: Reservation, response: StoredResponse, mentions: readonly string[]): Promise<void> {
    const completed: IdempotencyRecord = { ...reservation.record, state: 'completed', response, mentions: [...new Set(mentions)] };
    await this.records.item(reservation.id, reservation.pk).replace(completed, { accessCondition: { type: 'IfMatch', condition: reservation.etag } });
  }

  /** A run that changed nothing (the caller's mistake, or a limit): the key is free for a corrected request. */
  async release(reservation: Reservation): Promise<void> {
    try {
      await this.records.item(reservation.id, reservation.pk).delete({ accessCondition: { type: 'IfMatch', condition: reservation.etag } });
    } catch (error) {
      if (!isCosmosStatus(error, 404) && !isCosmosStatus(error, 412)) throw error;
    }
  }

  /** Records whose stored response names the id (erasure and export of a person). */
  async mentioning(id: string): Promise<{ id: string; pk: string; expiresAt: string }[]> {
    const { resources } = await this.records.items
      .query<{ id: string; pk: string; expiresAt: string }>({
        query: 'SELECT c.id, c.pk, c.expiresAt FROM c WHERE ARRAY_CONTAINS(c.mentions, @id)',
        parameters: [{ name: '@id', value: id }],
      })
      .fetchAll();
    return resources;
  }

  /** Records of one caller's keys: the responses a person was sent. */
  async ofCaller(caller: string): Promise<{ id: string; pk: string; expiresAt: string }[]> {
    const pk = this.scopeOf(caller);
    const { resources } = await this.records.items
      .query<{ id: string; pk: string; expiresAt: string }>({ query: 'SELECT c.id, c.pk, c.expiresAt FROM c WHERE c.pk = @pk', parameters: [{ name: '@pk', value: pk }] }, { partitionKey: pk })
      .fetchAll();
    return resources;
  }

  remove(record: { id: string; pk: string }): Promise<number> {
    return deleteIfPresent(this.records, record.id, record.pk);
  }

  private started(id: string, pk: string, fingerprint: string): IdempotencyRecord {
    const now = this.clock.now().getTime();
    return {
      id,
      pk,
      type: 'idempotency-record',
      fingerprint,
      state: 'started',
      leaseUntil: new Date(now + this.options.leaseSeconds * 1000).toISOString(),
      expiresAt: new Date(now + this.options.retentionSeconds * 1000).toISOString(),
      ttl: this.options.retentionSeconds,
      mentions: [],
    };
  }

  private async takeOver(id: string, pk: string, fingerprint: string, etag: string | undefined): Promise<Begun> {
    const fresh = this.started(id, pk, fingerprint);
    try {
      const replaced = await this.records.item(id, pk).replace(fresh, etag ? { accessCondition: { type: 'IfMatch', condition: etag } } : {});
      return { kind: 'run', reservation: { id, pk, etag: replaced.etag ?? '', record: fresh } };
    } catch (error) {
      if (isCosmosStatus(error, 412) || isCosmosStatus(error, 404)) throw inProgress(1);
      throw error;
    }
  }
}

function inProgress(retryAfterSeconds: number): HttpProblem {
  return new HttpProblem(409, 'idempotency-key-in-use', 'Request in progress', 'A request with this Idempotency-Key is still being processed; retry shortly', {}, {
    'Retry-After': String(retryAfterSeconds),
  });
}
