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
import { DataAdminRoster } from './data-admin-roster.js';
import { IdentityMemberships } from './identity-memberships.js';
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

const BOOTSTRAP_ID = 'bootstrap';

/** When the municipality's first admin was last registered by an operator; no personal data. */
interface BootstrapMarker {
  id: typeof BOOTSTRAP_ID;
  type: 'bootstrap';
  municipalityId: string;
  at: string;
}


/** Staff users and the identity mappings that tie a token's issuer + subject to them. */
export class UserDirectory {
  /** Who the data admins are, kept so that the last one is never demoted or erased. */
  readonly dataAdmins: DataAdminRoster;
  /** Which user an identity is in each municipality where it works. */
  readonly memberships: IdentityMemberships;

  constructor(
    private readonly directory: Container,
    identities: Container,
    private readonly clock: Clock,
    private readonly continuations: ContinuationSealer,
  ) {
    this.dataAdmins = new DataAdminRoster(directory);
    this.memberships = new IdentityMemberships(identities);
  }

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
    await this.memberships.claim(input.identity, { userId: user.id, municipalityId, createdAt: now }, async (held) => (await this.findUser(held.municipalityId, held.userId)) !== undefined);
    await this.directory.items.create(user);
    return user;
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
    const marker = await readTyped<BootstrapMarker>(this.directory, BOOTSTRAP_ID, [['municipalityId', municipalityId]], 'bootstrap');
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
