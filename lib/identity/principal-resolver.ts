import type { OperatorIdentity } from '../config/config.js';
import type { IdentityLink } from '../directory/identity-memberships.js';
import type { StoredUser, UserDirectory } from '../directory/users.js';
import type { Principal, TokenIdentity } from './principal.js';
import { identityKey } from './identity-key.js';

interface Member {
  link: IdentityLink;
  user: StoredUser;
}

interface CacheEntry {
  members: Member[];
  expiresAt: number;
}

const MAX_IDENTITIES = 10_000;

/**
 * Maps a verified token identity to a principal: an operator, nobody, or a staff user of one
 * municipality. An identity may be staff in several municipalities; the one asked for (the
 * tenant in the path, or the caller's choice) decides which user it is, and without a
 * choice it is the membership it got first. Results are cached briefly per process, so a
 * request costs no identity reads in the common case; `forget` drops an identity when its
 * user changes or is erased here, and the TTL bounds staleness on other instances.
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

  async resolve(identity: TokenIdentity, municipalityId?: string): Promise<Principal> {
    const key = identityKey(identity);
    if (this.operators.has(key)) return { kind: 'operator', identity, roles: ['platform-operator'] };
    const members = await this.membersOf(key, identity);
    const chosen = members.find((member) => member.link.municipalityId === municipalityId) ?? members[0];
    if (!chosen) return { kind: 'unregistered', identity, roles: [] };
    const { user } = chosen;
    return {
      kind: 'staff',
      identity,
      userId: user.id,
      municipalityId: user.municipalityId,
      roles: user.roles,
      schoolIds: user.schoolIds,
      memberships: members.map((member) => member.link.municipalityId),
    };
  }

  forget(identity: TokenIdentity): void {
    this.cache.delete(identityKey(identity));
  }

  forgetAll(): void {
    this.cache.clear();
  }

  /** The identity's users, one per municipality: from the cache, or two reads per membership. */
  private async membersOf(key: string, identity: TokenIdentity): Promise<Member[]> {
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.members;
    const members = await this.live(await this.users.memberships.of(identity));
    if (this.ttlMs > 0) {
      if (!this.cache.has(key) && this.cache.size >= MAX_IDENTITIES) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, { members, expiresAt: this.now() + this.ttlMs });
    }
    return members;
  }

  /** Memberships whose user exists (a membership left by a crash, or of an erased user, does not count). */
  private async live(links: readonly IdentityLink[]): Promise<Member[]> {
    const found = await Promise.all(links.map(async (link) => ({ link, user: await this.users.findUser(link.municipalityId, link.userId) })));
    return found.flatMap(({ link, user }) => (user ? [{ link, user }] : []));
  }
}
