import type { TenantRole } from '../identity/principal.js';

/** The roles a file may grant, and those it never grants nor changes (they follow the role model, through the API). */
export const FILE_ROLES = ['teacher', 'school-admin'] as const satisfies readonly TenantRole[];
export const ADMIN_ROLES: readonly TenantRole[] = ['municipality-admin', 'data-admin'];

export type StaffRole = (typeof FILE_ROLES)[number];

export function isFileRole(role: string): role is StaffRole {
  return (FILE_ROLES as readonly string[]).includes(role);
}
