import { identityKey } from '../identity/identity-key.js';
import type { Principal, TokenIdentity } from '../identity/principal.js';
import type { ClientInfo } from '../usage/usage-model.js';

/**
 * Who a request counts as, for the request guards (rate limits, idempotency keys): the
 * signed-in identity, or, for an anonymous call, the client address. The guards store it
 * only as a keyed digest.
 */
export function callerKey(principal: Principal | undefined, client: ClientInfo): string {
  return principal ? identityCallerKey(principal.identity) : `address:${client.ip ?? 'unknown'}`;
}

/** The caller key of a person's identity: how erasure finds what the guards keep of them. */
export function identityCallerKey(identity: TokenIdentity): string {
  return `identity:${identityKey(identity)}`;
}
