import type { OperatorIdentity } from '../config/config.js';
import type { UserDirectory } from '../directory/users.js';
import type { Principal, TokenIdentity } from './principal.js';
import { identityKey } from './identity-key.js';

interface CacheEntry {
  principal: Principal;
  expiresAt: number;
}

const MAX_ENTRIES = 10_000;

/**
 * Maps a verified token identity to a principal. Results are cached briefly per process
 * so a request costs no identity reads in the common case; `forget` drops an entry when
 * the user changes or is erased here, and the TTL bounds staleness on other instances.
 */
export class PrincipalResolver {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly operators: Set<string>;

  constructor(
    private readonly users: UserDirectory,
    operators: readonly OperatorIdentity[],
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.operators = new Set(operators.map((operator) => identityKey(operator)));
  }

  async resolve(identity: TokenIdentity): Promise<Principal> {
    const key = identityKey(identity);
    if (this.operators.has(key)) return { kind: 'operator', identity, roles: ['platform-operator'] };
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.principal;
    const principal = await this.lookup(identity);
    if (this.ttlMs > 0) {
      if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, { principal, expiresAt: this.now() + this.ttlMs });
    }
    return principal;
  }

  forget(identity: TokenIdentity): void {
    this.cache.delete(identityKey(identity));
  }

  forgetAll(): void {
    this.cache.clear();
  }

  private async lookup(identity: TokenIdentity): Promise<Principal> {
    const link = await this.users.findLink(identity);
    const user = link ? await this.users.findUser(link.municipalityId, link.userId) : undefined;
    if (!user) return { kind: 'unregistered', identity, roles: [] };
    return {
      kind: 'staff',
      identity,
      userId: user.id,
      municipalityId: user.municipalityId,
      roles: user.roles,
      schoolIds: user.schoolIds,
    };
  }
}
