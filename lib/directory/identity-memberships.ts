import type { Container } from '@azure/cosmos';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import type { Versioned } from '../data/documents.js';
import { problems } from '../http/problem.js';
import { identityKey } from '../identity/identity-key.js';
import type { TokenIdentity } from '../identity/principal.js';

/** Which user an identity is in one municipality. */
export interface IdentityLink {
  userId: string;
  municipalityId: string;
}

interface Membership extends IdentityLink {
  createdAt: string;
}

/** One sign-in identity and the user it is in each municipality where it works. */
interface StoredIdentity {
  id: string;
  memberships: Membership[];
}

/** Before an identity could work in several municipalities, a mapping named one user. */
interface LegacyIdentity {
  id: string;
  userId: string;
  municipalityId: string;
  createdAt: string;
}

/** Concurrent changes of one identity retry this often before giving up. */
const WRITE_ATTEMPTS = 5;

/**
 * The mapping (issuer, subject, municipality) -> user: one document per identity, keyed by
 * a hash of issuer and subject, with one membership per municipality. A token resolves with
 * one point read without knowing the municipality; the tenant in the path picks the membership.
 */
export class IdentityMemberships {
  constructor(private readonly identities: Container) {}

  /**
   * Adds the identity's membership of a municipality. `isLive` says whether a membership already
   * held there still has its user: only that blocks the claim (409), so a municipality's admins
   * learn nothing of other municipalities.
   */
  async claim(identity: TokenIdentity, membership: Membership, isLive: (held: IdentityLink) => Promise<boolean>): Promise<void> {
    await this.change(identity, () => problems.unavailable('The identity is being registered elsewhere at this moment; retry', 1), async (memberships) => {
      const held = memberships.find((existing) => existing.municipalityId === membership.municipalityId);
      if (held && (await isLive(held))) throw problems.conflict('This identity is already registered to a user in this municipality');
      return [...memberships.filter((existing) => existing !== held), membership];
    });
  }

  /** Drops the identity's membership of one municipality (the whole mapping with the last one): 1 if there was one. */
  async release(identity: TokenIdentity, municipalityId: string, userId: string): Promise<number> {
    const changed = await this.change(identity, () => new Error('identity mapping kept changing while it was being released'), async (memberships) => {
      const remaining = memberships.filter((existing) => !(existing.municipalityId === municipalityId && existing.userId === userId));
      return remaining.length === memberships.length ? undefined : remaining;
    });
    return changed ? 1 : 0;
  }

  /** Whether the identity still has a membership of this user (for erasure verification). */
  async holds(identity: TokenIdentity, municipalityId: string, userId: string): Promise<boolean> {
    const current = await this.read(identityKey(identity));
    return current?.value.memberships.some((existing) => existing.municipalityId === municipalityId && existing.userId === userId) ?? false;
  }

  /** Where the identity works: one link per municipality, oldest first. */
  async of(identity: TokenIdentity): Promise<IdentityLink[]> {
    const current = await this.read(identityKey(identity));
    return (current?.value.memberships ?? [])
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map(({ userId, municipalityId }) => ({ userId, municipalityId }));
  }

  /**
   * Read, change, write under the ETag; a race retries. `next` returns the new memberships, or
   * undefined for nothing to do; no memberships left removes the document.
   */
  private async change(identity: TokenIdentity, exhausted: () => Error, next: (memberships: Membership[]) => Promise<Membership[] | undefined>): Promise<boolean> {
    const key = identityKey(identity);
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const current = await this.read(key);
      const memberships = await next(current?.value.memberships ?? []);
      if (memberships === undefined) return false;
      const condition = { accessCondition: { type: 'IfMatch', condition: current?.etag ?? '' } };
      try {
        if (!current) await this.identities.items.create<StoredIdentity>({ id: key, memberships });
        else if (memberships.length === 0) await this.identities.item(key, key).delete(condition);
        else await this.identities.item(key, key).replace<StoredIdentity>({ id: key, memberships }, condition);
        return true;
      } catch (error) {
        // Another writer got there first (changed: 412, created: 409, removed: 404): read again.
        if (!isCosmosStatus(error, 412) && !isCosmosStatus(error, 409) && !isCosmosStatus(error, 404)) throw error;
      }
    }
    throw exhausted();
  }

  private async read(key: string): Promise<Versioned<StoredIdentity> | undefined> {
    try {
      const { resource, etag } = await this.identities.item(key, key).read<StoredIdentity | LegacyIdentity>();
      if (!resource) return undefined;
      const memberships = 'memberships' in resource ? resource.memberships : [{ userId: resource.userId, municipalityId: resource.municipalityId, createdAt: resource.createdAt }];
      return { value: { id: key, memberships }, etag };
    } catch (error) {
      if (isCosmosStatus(error, 404)) return undefined;
      throw error;
    }
  }
}
