import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { readTyped, replaceIfMatch, type Versioned } from '../data/documents.js';
import { scopeCondition, type Scope } from '../access/scopes.js';
import type { Page } from '../paging/continuation.js';
import { queryPage, type PageRequest } from '../paging/query-page.js';
import { problems } from '../http/problem.js';
import { identityKey } from '../identity/identity-key.js';
import { TENANT_ROLES, type TenantRole, type TokenIdentity } from '../identity/principal.js';
import type { Clock } from '../clock.js';

export const userInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
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

interface StoredIdentity {
  id: string;
  userId: string;
  municipalityId: string;
  createdAt: string;
}

export interface IdentityLink {
  userId: string;
  municipalityId: string;
}

/** Staff users and the identity mappings that tie a token's issuer + subject to them. */
export class UserDirectory {
  constructor(
    private readonly directory: Container,
    private readonly identities: Container,
    private readonly clock: Clock,
  ) {}

  /**
   * Two containers cannot be written atomically, so the identity mapping goes first:
   * a crash after it leaves a mapping to no user, which `create` takes over on retry
   * and principal resolution treats as unregistered.
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
    await this.claimIdentity(input.identity, { userId: user.id, municipalityId }, now);
    await this.directory.items.create(user);
    return user;
  }

  private async claimIdentity(identity: TokenIdentity, link: IdentityLink, now: string): Promise<void> {
    const key = identityKey(identity);
    const mapping: StoredIdentity = { id: key, ...link, createdAt: now };
    try {
      await this.identities.items.create(mapping);
      return;
    } catch (error) {
      if (!isCosmosStatus(error, 409)) throw error;
    }
    const { resource: existing, etag } = await this.identities.item(key, key).read<StoredIdentity>();
    if (existing && (await this.findUser(existing.municipalityId, existing.userId))) {
      throw problems.conflict('This identity is already registered to a user');
    }
    try {
      await this.identities.item(key, key).replace(mapping, { accessCondition: { type: 'IfMatch', condition: etag } });
    } catch (error) {
      if (isCosmosStatus(error, 412)) throw problems.conflict('This identity is already registered to a user');
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

  async findLink(identity: TokenIdentity): Promise<IdentityLink | undefined> {
    const key = identityKey(identity);
    const { resource } = await this.identities.item(key, key).read<StoredIdentity>();
    return resource ? { userId: resource.userId, municipalityId: resource.municipalityId } : undefined;
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
