import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { readTyped, replaceIfMatch, type Versioned } from '../data/documents.js';
import { scopeCondition, type Scope } from '../access/scopes.js';
import type { Page } from '../paging/continuation.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import { queryAll, queryPage, type PageRequest } from '../paging/query-page.js';
import { problems } from '../http/problem.js';
import { identityKey } from '../identity/identity-key.js';
import { TENANT_ROLES, type TenantRole, type TokenIdentity } from '../identity/principal.js';
import type { Clock } from '../clock.js';
import { nameText } from '../http/text-input.js';

export const userInputSchema = z.strictObject({
  name: nameText({ max: 200 }),
  email: z.email().max(254),
  phone: z.string().regex(/^\+?[0-9 ]{5,20}$/, 'must be a phone number').optional(),
  roles: z.array(z.enum(TENANT_ROLES)).min(1).max(TENANT_ROLES.length)
    .refine((roles) => new Set(roles).size === roles.length, 'roles must not repeat'),
  schoolIds: z.array(z.uuid()).max(50).default([]),
  identity: z.strictObject({ issuer: z.string().url().max(500), subject: z.string().min(1).max(255) }),
});

export type UserInput = z.infer<typeof userInputSchema>;

export const userPatchSchema = z
  .strictObject({
    name: userInputSchema.shape.name,
    email: userInputSchema.shape.email,
    phone: userInputSchema.shape.phone.unwrap().nullable(),
    roles: userInputSchema.shape.roles,
    schoolIds: z.array(z.uuid()).max(50),
  })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, 'send at least one field');

export const userSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  phone: z.string().optional(),
  roles: z.array(z.enum(TENANT_ROLES)),
  schoolIds: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** What a bootstrap (platform operator) may see back: no personal data. */
export const userReceiptSchema = z.object({
  id: z.string(),
  municipalityId: z.string(),
  roles: z.array(z.enum(TENANT_ROLES)),
  schoolIds: z.array(z.string()),
});

export interface StoredUser {
  id: string;
  municipalityId: string;
  type: 'user';
  name: string;
  email: string;
  phone?: string;
  roles: TenantRole[];
  schoolIds: string[];
  identity: TokenIdentity;
  createdAt: string;
  updatedAt: string;
  /** Set when an erasure is accepted: the user can no longer sign in or be read. */
  erasureId?: string;
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

interface Membership extends IdentityLink {
  createdAt: string;
}

export interface IdentityLink {
  userId: string;
  municipalityId: string;
}

const BOOTSTRAP_ID = 'bootstrap';
const DATA_ADMINS_ID = 'data-admins';

/**
 * Who the municipality's data admins are, as one document whose ETag serialises every change
 * to the set: two data admins taking the role from each other at the same moment cannot both
 * succeed. Removals are written here before the user's roles, grants after, so that a crash
 * in between leaves this list short of the truth, never long: it can refuse too much, never
 * let the last data admin go.
 */
interface DataAdminRoster {
  id: typeof DATA_ADMINS_ID;
  type: 'data-admins';
  municipalityId: string;
  userIds: string[];
}

/** When the municipality's first admin was last registered by an operator; no personal data. */
interface BootstrapMarker {
  id: typeof BOOTSTRAP_ID;
  type: 'bootstrap';
  municipalityId: string;
  at: string;
}

/** Concurrent claims of one identity retry this often before giving up. */
const CLAIM_ATTEMPTS = 5;

/** Staff users and the identity mappings that tie a token's issuer + subject to them. */
export class UserDirectory {
  constructor(
    private readonly directory: Container,
    private readonly identities: Container,
    private readonly clock: Clock,
    private readonly continuations: ContinuationSealer,
  ) {}

  /**
   * Two containers cannot be written atomically, so the identity's membership goes first:
   * a crash after it leaves a membership of no user, which `create` takes over on retry and
   * principal resolution ignores. An identity may be a user in several municipalities, one
   * membership each; registering it in one says nothing about the others.
   */
  async create(municipalityId: string, input: UserInput): Promise<StoredUser> {
    const now = this.clock.now().toISOString();
    const user: StoredUser = {
      id: randomUUID(),
      municipalityId,
      type: 'user',
      name: input.name,
      email: input.email,
      ...(input.phone === undefined ? {} : { phone: input.phone }),
      roles: input.roles,
      schoolIds: input.schoolIds,
      identity: input.identity,
      createdAt: now,
      updatedAt: now,
    };
    await this.claimMembership(input.identity, { userId: user.id, municipalityId, createdAt: now });
    await this.directory.items.create(user);
    return user;
  }

  private async claimMembership(identity: TokenIdentity, membership: Membership): Promise<void> {
    const key = identityKey(identity);
    for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
      const current = await this.readIdentity(key);
      const held = current?.value.memberships.find((existing) => existing.municipalityId === membership.municipalityId);
      // Only this municipality's own user blocks the claim: its admins learn nothing of other municipalities.
      if (held && (await this.findUser(held.municipalityId, held.userId))) {
        throw problems.conflict('This identity is already registered to a user in this municipality');
      }
      const memberships = [...(current?.value.memberships ?? []).filter((existing) => existing !== held), membership];
      const next: StoredIdentity = { id: key, memberships };
      try {
        if (current) await this.identities.item(key, key).replace(next, { accessCondition: { type: 'IfMatch', condition: current.etag } });
        else await this.identities.items.create(next);
        return;
      } catch (error) {
        if (!isCosmosStatus(error, 412) && !isCosmosStatus(error, 409)) throw error;
      }
    }
    throw problems.unavailable('The identity is being registered elsewhere at this moment; retry', 1);
  }

  /** Drops the identity's membership of one municipality (the whole mapping with the last one). */
  async releaseMembership(identity: TokenIdentity, municipalityId: string, userId: string): Promise<number> {
    const key = identityKey(identity);
    for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
      const current = await this.readIdentity(key);
      if (!current) return 0;
      const memberships = current.value.memberships.filter((existing) => !(existing.municipalityId === municipalityId && existing.userId === userId));
      if (memberships.length === current.value.memberships.length) return 0;
      try {
        if (memberships.length === 0) await this.identities.item(key, key).delete({ accessCondition: { type: 'IfMatch', condition: current.etag } });
        else await this.identities.item(key, key).replace({ id: key, memberships }, { accessCondition: { type: 'IfMatch', condition: current.etag } });
        return 1;
      } catch (error) {
        if (!isCosmosStatus(error, 412) && !isCosmosStatus(error, 404)) throw error;
      }
    }
    throw new Error('identity mapping kept changing while it was being released');
  }

  /** Whether the identity still has a membership of this user (for erasure verification). */
  async holdsMembership(identity: TokenIdentity, municipalityId: string, userId: string): Promise<boolean> {
    const current = await this.readIdentity(identityKey(identity));
    return current?.value.memberships.some((existing) => existing.municipalityId === municipalityId && existing.userId === userId) ?? false;
  }

  private async readIdentity(key: string): Promise<Versioned<StoredIdentity> | undefined> {
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

  async get(municipalityId: string, id: string): Promise<Versioned<StoredUser>> {
    const found = await readTyped<StoredUser>(this.directory, id, [['municipalityId', municipalityId]], 'user');
    if (!found) throw problems.notFound();
    return found;
  }

  list(municipalityId: string, scope: Scope, page: PageRequest): Promise<Page<StoredUser>> {
    const visible = scopeCondition({ ...scope, teacherId: undefined } as Scope, 'schoolIds');
    return queryPage(
      this.continuations,
      this.directory,
      { where: `c.type = 'user' AND NOT IS_DEFINED(c.erasureId) AND ${visible.sql}`, parameters: visible.parameters },
      [['municipalityId', municipalityId]],
      page,
    );
  }

  async update(
    municipalityId: string,
    current: Versioned<StoredUser>,
    patch: z.infer<typeof userPatchSchema>,
    ifMatch: string,
  ): Promise<Versioned<StoredUser>> {
    const { phone, ...rest } = patch;
    const next: StoredUser = { ...current.value, ...rest, updatedAt: this.clock.now().toISOString() };
    if (phone === null) delete next.phone;
    else if (phone !== undefined) next.phone = phone;
    return replaceIfMatch(this.directory, municipalityId, current, next, ifMatch);
  }

  /** Active users of the municipality who hold the role (one count in its partition). */
  async countWithRole(municipalityId: string, role: TenantRole): Promise<number> {
    const [count] = await queryAll<number>(
      this.directory,
      { select: 'VALUE COUNT(1)', where: "c.type = 'user' AND NOT IS_DEFINED(c.erasureId) AND ARRAY_CONTAINS(c.roles, @role)", parameters: [{ name: '@role', value: role }] },
      [['municipalityId', municipalityId]],
    );
    return count ?? 0;
  }

  /**
   * The operator's bootstrap of a municipality's first admin, once at a time: the marker's
   * ETag lets only one of two concurrent bootstraps through, and the count decides whether
   * one is allowed at all (no municipality admin left, or ever).
   */
  async bootstrap(municipalityId: string, input: UserInput, assertAllowed: (municipalityAdmins: number) => void): Promise<StoredUser> {
    let marker: { etag: string } | undefined;
    try {
      const read = await this.directory.item(BOOTSTRAP_ID, municipalityId).read<BootstrapMarker>();
      if (read.resource) marker = { etag: read.etag };
    } catch (error) {
      if (!isCosmosStatus(error, 404)) throw error;
    }
    assertAllowed(await this.countWithRole(municipalityId, 'municipality-admin'));
    const claim: BootstrapMarker = { id: BOOTSTRAP_ID, type: 'bootstrap', municipalityId, at: this.clock.now().toISOString() };
    try {
      if (marker) await this.directory.item(BOOTSTRAP_ID, municipalityId).replace(claim, { accessCondition: { type: 'IfMatch', condition: marker.etag } });
      else await this.directory.items.create(claim);
    } catch (error) {
      if (isCosmosStatus(error, 412) || isCosmosStatus(error, 409)) throw problems.conflict('The municipality is being bootstrapped by another request');
      throw error;
    }
    return this.create(municipalityId, input);
  }

  /**
   * Takes data-admin from these users (a demotion or an erasure) only if the municipality
   * keeps at least one; throws 409 otherwise, or when the roster changed meanwhile.
   */
  async releaseDataAdmins(municipalityId: string, userIds: readonly string[]): Promise<void> {
    const roster = await this.roster(municipalityId);
    const remaining = roster.value.userIds.filter((id) => !userIds.includes(id));
    if (remaining.length === roster.value.userIds.length) return;
    if (remaining.length === 0) throw problems.conflict('The municipality would have no data admin left: grant the role to someone else first');
    await this.saveRoster(municipalityId, roster, remaining);
  }

  /**
   * Erasure's step: the id leaves the roster unconditionally (the last-admin rule was applied
   * when the erasure was accepted). Read-modify-write under the ETag, retried on a race.
   */
  async dropFromDataAdmins(municipalityId: string, userId: string): Promise<number> {
    for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
      const roster = await this.readRoster(municipalityId);
      if (!roster?.value.userIds.includes(userId)) return 0;
      try {
        await this.directory.item(DATA_ADMINS_ID, municipalityId).replace(
          { ...roster.value, userIds: roster.value.userIds.filter((id) => id !== userId) },
          { accessCondition: { type: 'IfMatch', condition: roster.etag } },
        );
        return 1;
      } catch (error) {
        if (!isCosmosStatus(error, 412)) throw error;
      }
    }
    throw new Error('the data admin roster kept changing while a user was being erased from it');
  }

  async namedAsDataAdmin(municipalityId: string, userId: string): Promise<boolean> {
    return (await this.readRoster(municipalityId))?.value.userIds.includes(userId) ?? false;
  }

  /** Records a grant of data-admin, after the user's roles say so. */
  async admitDataAdmin(municipalityId: string, userId: string): Promise<void> {
    const roster = await this.roster(municipalityId);
    if (!roster.value.userIds.includes(userId)) await this.saveRoster(municipalityId, roster, [...roster.value.userIds, userId]);
  }

  private async readRoster(municipalityId: string): Promise<Versioned<DataAdminRoster> | undefined> {
    try {
      const { resource, etag } = await this.directory.item(DATA_ADMINS_ID, municipalityId).read<DataAdminRoster>();
      return resource ? { value: resource, etag } : undefined;
    } catch (error) {
      if (isCosmosStatus(error, 404)) return undefined;
      throw error;
    }
  }

  private async roster(municipalityId: string): Promise<Versioned<DataAdminRoster>> {
    const stored = await this.readRoster(municipalityId);
    if (stored) return stored;
    // First use in a municipality: the roster starts as the data admins there are.
    const userIds = await queryAll<string>(
      this.directory,
      { select: 'VALUE c.id', where: "c.type = 'user' AND NOT IS_DEFINED(c.erasureId) AND ARRAY_CONTAINS(c.roles, 'data-admin')" },
      [['municipalityId', municipalityId]],
    );
    const roster: DataAdminRoster = { id: DATA_ADMINS_ID, type: 'data-admins', municipalityId, userIds };
    try {
      const { etag } = await this.directory.items.create(roster);
      return { value: roster, etag: etag ?? '' };
    } catch (error) {
      if (isCosmosStatus(error, 409)) throw problems.conflict('The data admins of the municipality changed meanwhile; retry');
      throw error;
    }
  }

  private async saveRoster(municipalityId: string, current: Versioned<DataAdminRoster>, userIds: string[]): Promise<void> {
    try {
      await this.directory.item(DATA_ADMINS_ID, municipalityId).replace({ ...current.value, userIds }, { accessCondition: { type: 'IfMatch', condition: current.etag } });
    } catch (error) {
      if (isCosmosStatus(error, 412)) throw problems.conflict('The data admins of the municipality changed meanwhile; retry');
      throw error;
    }
  }

  /** Where the identity works: one link per municipality, oldest first. */
  async memberships(identity: TokenIdentity): Promise<IdentityLink[]> {
    const current = await this.readIdentity(identityKey(identity));
    return (current?.value.memberships ?? [])
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map(({ userId, municipalityId }) => ({ userId, municipalityId }));
  }

  async findUser(municipalityId: string, userId: string): Promise<StoredUser | undefined> {
    try {
      const { resource } = await this.directory.item(userId, municipalityId).read<StoredUser>();
      return resource?.type === 'user' && resource.erasureId === undefined ? resource : undefined;
    } catch (error) {
      if (isCosmosStatus(error, 404)) return undefined;
      throw error;
    }
  }
}
