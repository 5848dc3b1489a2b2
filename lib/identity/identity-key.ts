import { createHash } from 'node:crypto';
import type { TokenIdentity } from './principal.js';

/**
 * Document id of an identity mapping. Hashing keeps issuer URLs (which may hold
 * characters Cosmos ids forbid) out of ids and the raw subject out of this container.
 */
export function identityKey(identity: TokenIdentity): string {
  return createHash('sha256').update(`${identity.issuer}\u0000${identity.subject}`).digest('base64url');
}
