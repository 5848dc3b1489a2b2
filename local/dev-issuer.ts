import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { z } from 'zod';
import { defineFeature, type Feature } from '../lib/app/feature.js';
import { defineRoute, type AnyRoute } from '../lib/http/route.js';

/** `.invalid` is reserved (RFC 2606): this issuer can never be a real one. */
export const DEV_ISSUER = 'https://dev-issuer.engage.invalid';
export const DEV_AUDIENCE = 'engage-api';
export const DEV_OPERATOR_SUBJECT = 'dev-platform-operator';
const ALGORITHM = 'ES256';

export interface DevIssuerKeys {
  privateJwk: JWK;
  publicJwk: JWK;
}

export async function generateDevKeys(): Promise<DevIssuerKeys> {
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const kid = randomUUID();
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: ALGORITHM, use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: 'sig' },
  };
}

/** Keys are made on first start and kept in a git-ignored folder so tokens survive restarts. */
export async function loadOrCreateDevKeys(directory: string): Promise<DevIssuerKeys> {
  const file = join(directory, 'dev-issuer-keys.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DevIssuerKeys;
  } catch {
    const keys = await generateDevKeys();
    await mkdir(directory, { recursive: true });
    await writeFile(file, JSON.stringify(keys), { mode: 0o600 });
    return keys;
  }
}

export async function mintDevToken(keys: DevIssuerKeys, subject: string, expiresInSeconds = 3600): Promise<string> {
  const key = await importJWK(keys.privateJwk, ALGORITHM);
  return new SignJWT({})
    .setProtectedHeader({ alg: ALGORITHM, kid: keys.privateJwk.kid as string, typ: 'JWT' })
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(`${expiresInSeconds}s`)
    .sign(key);
}

const tokenRequestSchema = z.strictObject({
  sub: z.string().min(1).max(255),
  expiresInSeconds: z.number().int().min(60).max(86_400).optional(),
});

/** Routes of the local host only; they are never registered as Azure Functions. */
function devIssuerRoutes(keys: DevIssuerKeys): AnyRoute[] {
  return [
    defineRoute({
      name: 'dev-token',
      method: 'POST',
      path: '/dev/token',
      summary: 'Local host only: mint a token from the dev issuer',
      description: 'Mints a token of the local development issuer for a subject, e.g. `demo-teacher`. Never deployed.',
      tag: 'local development',
      access: { kind: 'public' },
      localOnly: true,
      body: tokenRequestSchema,
      response: z.object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number() }),
      successStatus: 200,
      uses: [],
      handler: async ({ body }) => {
        const expiresIn = body.expiresInSeconds ?? 3600;
        return {
          status: 200,
          body: { access_token: await mintDevToken(keys, body.sub, expiresIn), token_type: 'Bearer' as const, expires_in: expiresIn },
        };
      },
    }),
    defineRoute({
      name: 'dev-jwks',
      method: 'GET',
      path: '/dev/jwks',
      summary: "Local host only: the dev issuer's public keys",
      description: 'The local development issuer\'s public keys (JWKS). Never deployed.',
      tag: 'local development',
      access: { kind: 'public' },
      localOnly: true,
      rawContentType: 'application/json',
      successStatus: 200,
      uses: [],
      handler: async () => ({
        status: 200,
        raw: JSON.stringify({ keys: [keys.publicJwk] }),
        contentType: 'application/json; charset=utf-8',
      }),
    }),
  ];
}

/** The dev issuer as a feature of the local host: its routes only, never in lib/features.ts. */
export function devIssuerFeature(keys: DevIssuerKeys): Feature {
  return defineFeature({ name: 'dev-issuer', routes: devIssuerRoutes(keys) });
}
