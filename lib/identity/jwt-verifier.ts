import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { OidcIssuerConfig } from '../config/config.js';
import type { TokenIdentity } from './principal.js';
import { TokenRejected } from './token-rejected.js';
import { VerifiedTokens } from './verified-tokens.js';

/** Asymmetric algorithms only: `none` and HS* (which would turn a public key into a shared secret) never verify. */
export const DEFAULT_ALGORITHMS = ['RS256', 'PS256', 'ES256'] as const;
export const CLOCK_SKEW_SECONDS = 60;
/** Verified tokens kept per process (a digest and an identity each, ~200 bytes). */
const VERIFIED_TOKENS = 10_000;
/** A verified token's signature is checked again after this long (see VerifiedTokens). */
const VERIFIED_TOKEN_MAX_AGE_MS = 60_000;

export { TokenRejected };

export interface TokenVerifier {
  verify(token: string): Promise<TokenIdentity>;
}

interface IssuerVerifier {
  config: OidcIssuerConfig;
  keys: JWTVerifyGetKey;
}

export function createTokenVerifier(
  issuers: readonly OidcIssuerConfig[],
  keysFor: (issuer: OidcIssuerConfig) => JWTVerifyGetKey = (issuer) => createRemoteJWKSet(new URL(issuer.jwksUri)),
  now: () => number = Date.now,
): TokenVerifier {
  const byIssuer = new Map<string, IssuerVerifier>(issuers.map((config) => [config.issuer, { config, keys: keysFor(config) }]));
  const verified = new VerifiedTokens({ maxEntries: VERIFIED_TOKENS, maxAgeMs: VERIFIED_TOKEN_MAX_AGE_MS, now });

  return {
    async verify(token) {
      const known = verified.get(token);
      if (known) return known;
      let claimedIssuer: string | undefined;
      try {
        decodeProtectedHeader(token);
        claimedIssuer = decodeJwt(token).iss;
      } catch {
        throw new TokenRejected('the token is not a well-formed JWT');
      }
      const verifier = claimedIssuer === undefined ? undefined : byIssuer.get(claimedIssuer);
      if (!verifier) throw new TokenRejected('the token issuer is not trusted');
      try {
        const { payload } = await jwtVerify(token, verifier.keys, {
          issuer: verifier.config.issuer,
          audience: verifier.config.audience,
          algorithms: [...(verifier.config.algorithms ?? DEFAULT_ALGORITHMS)],
          clockTolerance: CLOCK_SKEW_SECONDS,
          requiredClaims: ['iss', 'sub', 'aud', 'exp'],
          currentDate: new Date(now()),
        });
        if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new TokenRejected('the token has no subject');
        const identity = { issuer: verifier.config.issuer, subject: payload.sub };
        // `exp` is a required claim; jose accepts the token until exp + the skew, and so does the cache.
        verified.remember(token, identity, ((payload.exp as number) + CLOCK_SKEW_SECONDS) * 1000);
        return identity;
      } catch (error) {
        throw new TokenRejected(describe(error));
      }
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof TokenRejected) return error.reason;
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'the token is not valid yet';
    return `the token's ${error.claim} claim is not accepted`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token algorithm is not allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no trusted key matches the token';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JOSEError) return 'the token could not be verified';
  return 'the token could not be verified';
}
