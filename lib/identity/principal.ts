export const TENANT_ROLES = ['teacher', 'school-admin', 'municipality-admin', 'data-admin'] as const;
export type TenantRole = (typeof TENANT_ROLES)[number];
export const ROLES = [...TENANT_ROLES, 'platform-operator'] as const;
export type Role = (typeof ROLES)[number];

export interface TokenIdentity {
  issuer: string;
  subject: string;
}

/** The caller, after token validation and the user-record lookup. */
export type Principal =
  | { kind: 'operator'; identity: TokenIdentity; roles: readonly ['platform-operator'] }
  | {
      kind: 'staff';
      identity: TokenIdentity;
      userId: string;
      municipalityId: string;
      roles: readonly TenantRole[];
      schoolIds: readonly string[];
      /** Every municipality where this identity is staff; the principal is its user in `municipalityId`. */
      memberships: readonly string[];
    }
  | { kind: 'unregistered'; identity: TokenIdentity; roles: readonly [] };

export function hasRole(principal: Principal, role: Role): boolean {
  return (principal.roles as readonly Role[]).includes(role);
}
