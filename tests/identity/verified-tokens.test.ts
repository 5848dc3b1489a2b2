import { createLocalJWKSet, importJWK, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEV_AUDIENCE, DEV_ISSUER, generateDevKeys, type DevIssuerKeys } from '../../local/dev-issuer.js';
import { createTokenVerifier, type TokenVerifier } from '../../lib/identity/jwt-verifier.js';
import { TokenRejected } from '../../lib/identity/token-rejected.js';
import { VerifiedTokens } from '../../lib/identity/verified-tokens.js';

// The verifier alone, with the real jose and real ES256 keys: what these tests need is a clock
// they can move, which an app under test does not have. The HTTP behaviour is jwt-validation's.
const ISSUER = { issuer: DEV_ISSUER, audience: DEV_AUDIENCE, jwksUri: 'https://dev-issuer.engage.invalid/jwks' };
const T0 = Date.parse('2026-11-30T12:00:00Z');

let keys: DevIssuerKeys;
beforeAll(async () => {
  keys = await generateDevKeys();
});

/** A verifier at a clock the test moves, over a key set the test may swap, counting key look-ups (one per full verification). */
function verifierAt(clock: { now: number }) {
  const lookups = { count: 0 };
  const published = { keySet: createLocalJWKSet({ keys: [keys.publicJwk] }) };
  const getKey: JWTVerifyGetKey = (header, token) => {
    lookups.count += 1;
    return published.keySet(header, token);
  };
  const verifier: TokenVerifier = createTokenVerifier([ISSUER], () => getKey, () => clock.now);
  return { verifier, lookups, published };
}

async function sign(claims: JWTPayload, signingKeys: DevIssuerKeys = keys): Promise<string> {
  const key = await importJWK(signingKeys.privateJwk, 'ES256');
  return new SignJWT({ iss: DEV_ISSUER, aud: DEV_AUDIENCE, sub: 'someone', iat: T0 / 1000, exp: T0 / 1000 + 600, ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: keys.privateJwk.kid as string })
    .sign(key);
}

async function refusal(verifier: TokenVerifier, token: string): Promise<string> {
  const error: unknown = await verifier.verify(token).then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(TokenRejected);
  return (error as TokenRejected).reason;
}

describe('verified-token cache (a token verified once is taken on trust only while it lives)', () => {
  it('checks the signature of a repeated token once, not on every request', async () => {
    const { verifier, lookups } = verifierAt({ now: T0 });
    const token = await sign({});
    for (let i = 0; i < 5; i += 1) expect(await verifier.verify(token)).toEqual({ issuer: DEV_ISSUER, subject: 'someone' });
    expect(lookups.count).toBe(1);
  });

  it('refuses a cached token once its exp is more than the clock skew behind', async () => {
    const clock = { now: T0 };
    const { verifier } = verifierAt(clock);
    const token = await sign({ exp: T0 / 1000 + 30 });
    await verifier.verify(token);
    clock.now = T0 + 30_000 + 59_000;
    expect(await verifier.verify(token)).toEqual({ issuer: DEV_ISSUER, subject: 'someone' });
    clock.now = T0 + 30_000 + 60_000;
    expect(await refusal(verifier, token)).toBe('the token has expired');
  });

  it('refuses a cached token whose signing key the issuer has withdrawn, once the entry is a minute old', async () => {
    const clock = { now: T0 };
    const { verifier, published } = verifierAt(clock);
    const token = await sign({});
    await verifier.verify(token);
    published.keySet = createLocalJWKSet({ keys: [(await generateDevKeys()).publicJwk] });
    clock.now = T0 + 59_000;
    await verifier.verify(token);
    clock.now = T0 + 60_000;
    expect(await refusal(verifier, token)).toBe('no trusted key matches the token');
  });

  it('verifies in full a token that differs from a cached one only in its signature', async () => {
    const { verifier } = verifierAt({ now: T0 });
    const token = await sign({});
    await verifier.verify(token);
    const forged = await sign({}, await generateDevKeys());
    expect(forged.split('.').slice(0, 2)).toEqual(token.split('.').slice(0, 2));
    expect(await refusal(verifier, forged)).toBe('the token signature is invalid');
  });

  it('never caches a refused token', async () => {
    const clock = { now: T0 };
    const { verifier, lookups } = verifierAt(clock);
    const early = await sign({ nbf: T0 / 1000 + 300 });
    expect(await refusal(verifier, early)).toBe('the token is not valid yet');
    expect(await refusal(verifier, early)).toBe('the token is not valid yet');
    expect(lookups.count).toBe(2);
  });

  it('keeps a bounded number of tokens, dropping the least recently used', () => {
    const cache = new VerifiedTokens({ maxEntries: 2, maxAgeMs: 60_000, now: () => T0 });
    const identity = (subject: string) => ({ issuer: DEV_ISSUER, subject });
    cache.remember('token-a', identity('a'), T0 + 600_000);
    cache.remember('token-b', identity('b'), T0 + 600_000);
    expect(cache.get('token-a')).toEqual(identity('a'));
    cache.remember('token-c', identity('c'), T0 + 600_000);
    expect(cache.get('token-b')).toBeUndefined();
    expect(cache.get('token-a')).toEqual(identity('a'));
    expect(cache.get('token-c')).toEqual(identity('c'));
  });
});
