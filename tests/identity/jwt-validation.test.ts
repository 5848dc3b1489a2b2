import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSPKI, generateKeyPair, importJWK, SignJWT, type JWTPayload } from 'jose';
import { DEV_AUDIENCE, DEV_ISSUER, DEV_OPERATOR_SUBJECT, generateDevKeys } from '../../local/dev-issuer.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let test: TestApp;

beforeAll(async () => {
  test = await startTestApp();
});
afterAll(() => test.close());

const now = () => Math.floor(Date.now() / 1000);

async function signWithDevKey(claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const key = await importJWK(test.keys.privateJwk, 'ES256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: test.keys.privateJwk.kid as string, ...header }).sign(key);
}

function validClaims(overrides: JWTPayload = {}): JWTPayload {
  return { iss: DEV_ISSUER, aud: DEV_AUDIENCE, sub: DEV_OPERATOR_SUBJECT, iat: now(), exp: now() + 600, ...overrides };
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function expect401(token: string | undefined, reason: RegExp, authorization?: string): Promise<void> {
  const headers: Record<string, string> = authorization ? { authorization } : {};
  const response = await test.request('GET', '/me', { token, headers });
  expect(response.status).toBe(401);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="engage", error="invalid_token"/);
  expect(response.body.detail).toMatch(reason);
}

describe('bearer token validation (every failure mode answers 401 with WWW-Authenticate)', () => {
  it('accepts a valid dev-issuer token', async () => {
    const response = await test.request('GET', '/me', { token: await signWithDevKey(validClaims()) });
    expect(response.status).toBe(200);
    expect(response.body.roles).toEqual(['platform-operator']);
  });

  it('rejects a missing token and a malformed Authorization header', async () => {
    await expect401(undefined, /bearer token is required/);
    await expect401(undefined, /must be "Bearer <token>"/, 'Basic dXNlcjpwYXNz');
    await expect401(undefined, /not a well-formed JWT/, 'Bearer not-a-jwt');
  });

  it('rejects alg "none"', async () => {
    const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(validClaims())}.`;
    await expect401(token, /not a well-formed JWT|algorithm|could not be verified/);
  });

  it('rejects HS256 signed with the public key as a shared secret', async () => {
    const spki = await exportSPKI((await importJWK(test.keys.publicJwk, 'ES256', { extractable: true })) as Parameters<typeof exportSPKI>[0]);
    const token = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: 'HS256', kid: test.keys.publicJwk.kid as string })
      .sign(new TextEncoder().encode(spki));
    await expect401(token, /algorithm is not allowed|no trusted key/);
  });

  it('rejects a token signed by another key under the same key id', async () => {
    const other = await generateDevKeys();
    const key = await importJWK(other.privateJwk, 'ES256');
    const token = await new SignJWT(validClaims()).setProtectedHeader({ alg: 'ES256', kid: test.keys.privateJwk.kid as string }).sign(key);
    await expect401(token, /signature is invalid/);
  });

  it('rejects a token whose key id the issuer does not publish', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT(validClaims()).setProtectedHeader({ alg: 'ES256', kid: 'unknown-kid' }).sign(privateKey);
    await expect401(token, /no trusted key/);
  });

  it('rejects an untrusted issuer', async () => {
    await expect401(await signWithDevKey(validClaims({ iss: 'https://evil.example' })), /issuer is not trusted/);
  });

  it('rejects a wrong audience', async () => {
    await expect401(await signWithDevKey(validClaims({ aud: 'another-api' })), /aud claim/);
  });

  it('rejects an expired token beyond the 60 s clock skew, and accepts one within it', async () => {
    await expect401(await signWithDevKey(validClaims({ exp: now() - 120 })), /expired/);
    const withinSkew = await test.request('GET', '/me', { token: await signWithDevKey(validClaims({ exp: now() - 30 })) });
    expect(withinSkew.status).toBe(200);
  });

  it('rejects a token that is not valid yet (nbf beyond the skew)', async () => {
    await expect401(await signWithDevKey(validClaims({ nbf: now() + 300 })), /not valid yet/);
  });

  it('rejects a token without exp or sub', async () => {
    const { exp: _exp, ...noExp } = validClaims();
    await expect401(await signWithDevKey(noExp), /exp claim/);
    const { sub: _sub, ...noSub } = validClaims();
    await expect401(await signWithDevKey(noSub), /sub claim|no subject/);
  });

  it('rejects a tampered payload', async () => {
    const token = await signWithDevKey(validClaims({ sub: 'someone' }));
    const [header, , signature] = token.split('.');
    const tampered = `${header}.${base64url(validClaims({ sub: DEV_OPERATOR_SUBJECT }))}.${signature}`;
    await expect401(tampered, /signature is invalid/);
  });
});
