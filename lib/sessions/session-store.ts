import { createHash, randomBytes } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { Clock } from '../clock.js';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import type { TokenIdentity } from '../identity/principal.js';
import { keyedDigest } from '../privacy/keyed-digest.js';

export interface SessionOptions {
  /** Signed out after this long without a request. */
  idleSeconds: number;
  /** Signed out this long after signing in, however active. */
  absoluteSeconds: number;
  /** Activity is written back at most this often: a read-mostly session costs no write per request. */
  touchIntervalSeconds: number;
  /** Open sessions per person; signing in once more ends the oldest. */
  maxPerPerson: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  idleSeconds: 30 * 60,
  absoluteSeconds: 12 * 3600,
  touchIntervalSeconds: 60,
  maxPerPerson: 10,
};

export const SESSION_DOCUMENT_TYPES = ['session', 'session-index'] as const;

/** 256 random bits in base64url. */
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Real Cosmos DB deletes a document this long after its last deadline; code refuses it before. */
const TTL_MARGIN_SECONDS = 300;
const INDEX_WRITE_ATTEMPTS = 5;

interface SessionDocument {
  /** sha256 of the cookie value: whoever reads the database cannot replay a session. */
  id: string;
  type: 'session';
  personKey: string;
  identity: TokenIdentity;
  createdAt: string;
  lastSeenAt: string;
  /** The earlier of the idle and the absolute deadline, as of the last touch. */
  expiresAt: string;
  absoluteExpiresAt: string;
  ttl: number;
}

interface IndexEntry {
  id: string;
  absoluteExpiresAt: string;
}

/** A person's open sessions, so erasure finds them with one point read (the container is keyed by id). */
interface SessionIndexDocument {
  id: string;
  type: 'session-index';
  sessions: IndexEntry[];
  ttl: number;
}

export interface StartedSession {
  token: string;
  expiresAt: string;
  maxAgeSeconds: number;
}

export interface SessionSummary {
  startedAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

/** The cookie names no live session; the caller learns nothing more specific. */
export class SessionRejected extends Error {
  constructor() {
    super('The session has ended or never existed; sign in again');
    this.name = 'SessionRejected';
  }
}

function sessionIdOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

const indexIdOf = (personKey: string) => `person.${personKey}`;

/**
 * Server-side sessions for the browser (P11), in container `sessions` (partition key `/id`):
 * a session is found from its cookie with one point read of `sha256(cookie)`. Idle and
 * absolute expiry are checked here, in code, because the local emulator has no TTL; the
 * `ttl` field lets real Cosmos DB remove dead sessions by itself.
 */
export class SessionStore {
  constructor(
    private readonly sessions: Container,
    private readonly clock: Clock,
    private readonly digestKey: string,
    readonly options: SessionOptions = DEFAULT_SESSION_OPTIONS,
  ) {}

  /**
   * The index entry is written before the session, so a session exists only once erasure
   * can find it; a crash in between leaves an entry for nothing, which is harmless.
   */
  async start(identity: TokenIdentity): Promise<StartedSession> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const now = this.clock.now();
    const id = sessionIdOf(token);
    const absoluteExpiresAt = new Date(now.getTime() + this.options.absoluteSeconds * 1000).toISOString();
    const personKey = this.personKeyOf(identity);
    await this.addToIndex(personKey, { id, absoluteExpiresAt });
    const session: SessionDocument = {
      id,
      type: 'session',
      personKey,
      identity: { issuer: identity.issuer, subject: identity.subject },
      createdAt: now.toISOString(),
      ...this.activity(now, absoluteExpiresAt),
      absoluteExpiresAt,
    };
    await this.sessions.items.create(session);
    return { token, expiresAt: absoluteExpiresAt, maxAgeSeconds: this.options.absoluteSeconds };
  }

  /** The identity behind a session cookie, or SessionRejected. Extends the idle deadline. */
  async resume(token: string): Promise<TokenIdentity> {
    if (!TOKEN_PATTERN.test(token)) throw new SessionRejected();
    const id = sessionIdOf(token);
    const session = await this.read<SessionDocument>(id);
    if (session?.type !== 'session') throw new SessionRejected();
    const now = this.clock.now();
    const idleDeadline = Date.parse(session.lastSeenAt) + this.options.idleSeconds * 1000;
    if (now.getTime() >= Math.min(idleDeadline, Date.parse(session.absoluteExpiresAt))) {
      await this.remove(id);
      throw new SessionRejected();
    }
    if (now.getTime() - Date.parse(session.lastSeenAt) >= this.options.touchIntervalSeconds * 1000) {
      await this.touch(id, this.activity(now, session.absoluteExpiresAt));
    }
    return session.identity;
  }

  /** Signing out: the session is gone, whatever state it was in. */
  async end(token: string): Promise<void> {
    if (!TOKEN_PATTERN.test(token)) return;
    const id = sessionIdOf(token);
    const session = await this.read<SessionDocument>(id);
    await this.remove(id);
    if (session?.type === 'session') await this.updateIndex(session.personKey, (entries) => ({ keep: entries.filter((entry) => entry.id !== id), drop: [] }));
  }

  /** Every session of a person (erasure): sessions first, the index that finds them last. */
  async endAll(identity: TokenIdentity): Promise<number> {
    const indexId = indexIdOf(this.personKeyOf(identity));
    const index = await this.read<SessionIndexDocument>(indexId);
    if (index?.type !== 'session-index') return 0;
    let ended = 0;
    for (const entry of index.sessions) ended += await this.remove(entry.id);
    return ended + (await this.remove(indexId));
  }

  /** A person's sessions still stored, live or not (export, verification). */
  async listFor(identity: TokenIdentity): Promise<SessionSummary[]> {
    const index = await this.read<SessionIndexDocument>(indexIdOf(this.personKeyOf(identity)));
    if (index?.type !== 'session-index') return [];
    const found: SessionSummary[] = [];
    for (const entry of index.sessions) {
      const session = await this.read<SessionDocument>(entry.id);
      if (session?.type === 'session') found.push({ startedAt: session.createdAt, lastSeenAt: session.lastSeenAt, expiresAt: session.expiresAt });
    }
    return found;
  }

  async hasIndex(identity: TokenIdentity): Promise<boolean> {
    return (await this.read<SessionIndexDocument>(indexIdOf(this.personKeyOf(identity))))?.type === 'session-index';
  }

  /** Keyed, so the index id cannot be computed from an issuer and subject without the key. */
  private personKeyOf(identity: TokenIdentity): string {
    return keyedDigest(this.digestKey, `session-person:${identity.issuer}\u0000${identity.subject}`);
  }

  private activity(now: Date, absoluteExpiresAt: string): Pick<SessionDocument, 'lastSeenAt' | 'expiresAt' | 'ttl'> {
    const deadline = Math.min(now.getTime() + this.options.idleSeconds * 1000, Date.parse(absoluteExpiresAt));
    return {
      lastSeenAt: now.toISOString(),
      expiresAt: new Date(deadline).toISOString(),
      ttl: Math.max(1, Math.ceil((deadline - now.getTime()) / 1000)) + TTL_MARGIN_SECONDS,
    };
  }

  private async touch(id: string, activity: Pick<SessionDocument, 'lastSeenAt' | 'expiresAt' | 'ttl'>): Promise<void> {
    try {
      await this.sessions.item(id, id).patch([
        { op: 'set', path: '/lastSeenAt', value: activity.lastSeenAt },
        { op: 'set', path: '/expiresAt', value: activity.expiresAt },
        { op: 'set', path: '/ttl', value: activity.ttl },
      ]);
    } catch (error) {
      // Ended (sign-out, erasure) between the read and the touch: the next request is refused.
      if (!isCosmosStatus(error, 404)) throw error;
    }
  }

  /**
   * Adds a session to the person's index, dropping entries past their absolute deadline and,
   * beyond the cap, the oldest live ones; their sessions are deleted before the index
   * forgets them, so no stored session is ever missing from it.
   */
  private async addToIndex(personKey: string, added: IndexEntry): Promise<void> {
    const now = this.clock.now().getTime();
    await this.updateIndex(personKey, (entries) => {
      const live = entries.filter((entry) => Date.parse(entry.absoluteExpiresAt) > now).sort((a, b) => a.absoluteExpiresAt.localeCompare(b.absoluteExpiresAt));
      const kept = live.slice(Math.max(0, live.length - (this.options.maxPerPerson - 1)));
      return { keep: [...kept, added], drop: entries.filter((entry) => !kept.includes(entry)) };
    });
  }

  /** Conditional replace with retry: concurrent sign-ins of one person both land. */
  private async updateIndex(personKey: string, change: (entries: IndexEntry[]) => { keep: IndexEntry[]; drop: IndexEntry[] }): Promise<void> {
    const id = indexIdOf(personKey);
    for (let attempt = 0; attempt < INDEX_WRITE_ATTEMPTS; attempt++) {
      const { resource, etag } = await this.readWithEtag<SessionIndexDocument>(id);
      const { keep, drop } = change(resource?.type === 'session-index' ? resource.sessions : []);
      for (const entry of drop) await this.remove(entry.id);
      if (keep.length === 0 && !resource) return;
      const latest = keep.reduce((max, entry) => Math.max(max, Date.parse(entry.absoluteExpiresAt)), this.clock.now().getTime());
      const next: SessionIndexDocument = {
        id,
        type: 'session-index',
        sessions: keep,
        ttl: Math.max(1, Math.ceil((latest - this.clock.now().getTime()) / 1000)) + TTL_MARGIN_SECONDS,
      };
      const condition = { accessCondition: { type: 'IfMatch', condition: etag ?? '' } };
      try {
        if (!resource) await this.sessions.items.create(next);
        else if (keep.length === 0) await this.sessions.item(id, id).delete(condition);
        else await this.sessions.item(id, id).replace(next, condition);
        return;
      } catch (error) {
        if (isCosmosStatus(error, 404) && keep.length === 0) return;
        // Someone else changed (or removed) the index since the read: read again.
        if (![404, 409, 412].some((status) => isCosmosStatus(error, status))) throw error;
      }
    }
    throw new Error('session index kept changing; giving up');
  }

  private async read<T extends object>(id: string): Promise<T | undefined> {
    return (await this.readWithEtag<T>(id)).resource;
  }

  private async readWithEtag<T extends object>(id: string): Promise<{ resource: T | undefined; etag: string | undefined }> {
    try {
      const { resource, etag } = await this.sessions.item(id, id).read<T>();
      return { resource: resource ?? undefined, etag };
    } catch (error) {
      if (isCosmosStatus(error, 404)) return { resource: undefined, etag: undefined };
      throw error;
    }
  }

  private async remove(id: string): Promise<number> {
    try {
      await this.sessions.item(id, id).delete();
      return 1;
    } catch (error) {
      if (isCosmosStatus(error, 404)) return 0;
      throw error;
    }
  }
}
