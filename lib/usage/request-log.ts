import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { Clock } from '../clock.js';
import type { Principal } from '../identity/principal.js';
import type { Logger } from '../logger.js';
import type { AccountMonth, AccountMonths } from './account-months.js';
import { bulkWrite, BULK_CHUNK, created, createOperation, JOB_RETRY_BUDGET_MS } from './bulk.js';
import { monthOf } from '../clock.js';
import { dayOf } from './retention-policy.js';
import { accountBucket, PLATFORM_TENANT, platformBucket, type ClientInfo, type RequestLogDocument } from './usage-model.js';

export interface RequestLogEntry {
  method: string;
  /** The route template, never the raw URL (which may carry ids and query strings). */
  route: string;
  status: number;
  durationMs: number;
  principal: Principal | undefined;
  client: ClientInfo;
}

export interface RequestLogOptions {
  flushIntervalMs?: number;
  /** Above this many unwritten entries (Cosmos unreachable) the oldest are dropped. */
  maxBuffered?: number;
}

const activeLogs = new Set<RequestLog>();

/** Flushes every request log of the process (the Functions host's terminate hook calls it). */
export async function closeAllRequestLogs(): Promise<void> {
  await Promise.all([...activeLogs].map((log) => log.close()));
}

/**
 * The server log of P6: one record per API call, written off the request path. Entries are
 * buffered and written in bulk every `flushIntervalMs` (and when a bulk's worth is waiting,
 * and on shutdown), so a request never waits for its log and its Cosmos operation count
 * stays its own. The price: entries buffered when a process dies are lost, which the brief
 * accepts; blocking or failing a request because its log could not be written it does not.
 */
export class RequestLog {
  private buffer: RequestLogDocument[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly flushIntervalMs: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly usage: Container,
    private readonly months: AccountMonths,
    private readonly clock: Clock,
    private readonly logger: Logger,
    options: RequestLogOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 1_000;
    this.maxBuffered = options.maxBuffered ?? 10_000;
  }

  /** Never throws and never waits: logging must not break or slow the request it logs. */
  record(entry: RequestLogEntry): void {
    try {
      this.buffer.push(this.toDocument(entry));
      if (this.buffer.length > this.maxBuffered) {
        const excess = this.buffer.length - this.maxBuffered;
        this.buffer.splice(0, excess);
        this.logger.warn('request-log-dropped', { count: excess, reason: 'buffer-full' });
      }
      if (this.buffer.length >= BULK_CHUNK) void this.flush();
      else this.startTimer();
    } catch (error) {
      this.logger.warn('request-log-dropped', { count: 1, reason: error instanceof Error ? error.name : 'unknown' });
    }
  }

  /** Writes everything buffered so far; resolves once it is stored (or given up on). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeBuffered());
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    activeLogs.delete(this);
    await this.flush();
  }

  private startTimer(): void {
    if (this.timer) return;
    activeLogs.add(this);
    this.timer = setInterval(() => void this.flush(), this.flushIntervalMs);
    this.timer.unref();
  }

  private async writeBuffered(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, BULK_CHUNK);
      try {
        await this.write(batch);
      } catch (error) {
        this.logger.warn('request-log-dropped', { count: batch.length, reason: error instanceof Error ? error.name : 'unknown' });
      }
    }
  }

  /** Markers first: data of an account must never exist without the marker that leads to it. */
  private async write(batch: readonly RequestLogDocument[]): Promise<void> {
    const months: AccountMonth[] = batch.flatMap((document) =>
      document.accountId ? [{ municipalityId: document.municipalityId, accountId: document.accountId, month: document.month }] : [],
    );
    // A background flush: no request waits for it.
    await this.months.ensure(months, JOB_RETRY_BUDGET_MS);
    await bulkWrite(
      this.usage,
      batch.map((document) => createOperation(document, [document.municipalityId, document.accountBucket])),
      created,
      JOB_RETRY_BUDGET_MS,
    );
  }

  private toDocument(entry: RequestLogEntry): RequestLogDocument {
    const now = this.clock.now();
    const month = monthOf(now);
    const common = {
      id: randomUUID(),
      month,
      type: 'request-log' as const,
      at: now.toISOString(),
      method: entry.method,
      route: entry.route,
      status: entry.status,
      durationMs: Math.round(entry.durationMs),
      ...entry.client,
    };
    const principal = entry.principal;
    if (principal?.kind === 'staff') {
      return {
        ...common,
        municipalityId: principal.municipalityId,
        accountBucket: accountBucket(principal.userId, month),
        accountId: principal.userId,
        actor: 'staff',
      };
    }
    // Not a tenant account: no account link at all, kept for a short fixed time (see the job).
    return {
      ...common,
      municipalityId: PLATFORM_TENANT,
      accountBucket: platformBucket(dayOf(now)),
      actor: principal?.kind ?? 'anonymous',
    };
  }
}
