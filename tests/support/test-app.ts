import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { featureRoutes } from '../../lib/app/feature.js';
import type { Clock } from '../../lib/clock.js';
import { FEATURES } from '../../lib/features.js';
import type { CompositionOptions } from '../../lib/composition-root.js';
import type { TenantRole } from '../../lib/identity/principal.js';
import { DEV_ISSUER, DEV_OPERATOR_SUBJECT, generateDevKeys, mintDevToken, type DevIssuerKeys } from '../../local/dev-issuer.js';
import { startLocalApp, type LocalApp } from '../../local/local-app.js';

export interface TestResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string | undefined;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestApp {
  app: LocalApp;
  url: string;
  keys: DevIssuerKeys;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<TestResponse<T>>;
  token(subject: string): Promise<string>;
  operatorToken(): Promise<string>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  clock?: Clock;
  /** Where the app finds Cosmos DB; default the run's emulator (a test may put a proxy in between). */
  cosmosEndpoint?: string;
  /** Composition overrides, e.g. a capturing logger or a recording telemetry transport. */
  composition?: CompositionOptions;
}

/**
 * Every request of a test comes from 127.0.0.1, so the declared limits would meet long
 * before a test means them to: they are raised here, and the rate-limit tests set their own.
 */
const ROOMY_RATE_LIMITS = JSON.stringify(
  Object.fromEntries(featureRoutes(FEATURES).flatMap((route) => route.rateLimits ?? []).map((policy) => [policy.name, { quota: 1_000_000, windowSeconds: policy.windowSeconds }])),
);

/** The real local host on a free port, against the run's emulators, in a database of its own. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const keys = await generateDevKeys();
  const app = await startLocalApp({
    cosmosEndpoint: options.cosmosEndpoint ?? inject('cosmosEndpoint'),
    blobEndpoint: inject('blobEndpoint'),
    devKeys: keys,
    ...options.composition,
    port: 0,
    // The suite runs files in parallel on a shared machine: a request may wait longer than any on a real database.
    // The deadline's own tests set theirs (tests/http/database-stall.test.ts).
    env: { COSMOS_DATABASE: `test-${randomUUID().slice(0, 8)}`, RATE_LIMITS: ROOMY_RATE_LIMITS, REQUEST_DEADLINE_MS: '30000', ...options.env },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const url = app.host.url;
  return {
    app,
    url,
    keys,
    token: (subject) => mintDevToken(keys, subject),
    operatorToken: () => mintDevToken(keys, DEV_OPERATOR_SUBJECT),
    async request(method, path, requestOptions = {}) {
      const headers: Record<string, string> = { ...requestOptions.headers };
      if (requestOptions.token) headers.authorization = `Bearer ${requestOptions.token}`;
      let body: string | undefined = requestOptions.rawBody;
      if (requestOptions.body !== undefined) {
        body = JSON.stringify(requestOptions.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        // non-JSON bodies stay text
      }
      return { status: response.status, headers: response.headers, body: parsed as never, text };
    },
    close: () => app.close(),
  };
}

export interface SeededUser {
  id: string;
  subject: string;
  token: string;
}

export async function registerMunicipality(test: TestApp, id: string, name = `Kommune ${id}`): Promise<void> {
  const response = await test.request('POST', '/municipalities', { token: await test.operatorToken(), body: { id, name } });
  if (response.status !== 201) throw new Error(`could not register ${id}: ${response.status} ${response.text}`);
}

const bootstrapAdmins = new WeakMap<TestApp, Map<string, Promise<string>>>();

/**
 * A token of the municipality's first admin (municipality-admin and data-admin), registered by
 * the platform operator the first time a test asks: everyone else is registered by that admin,
 * as the role model wants (a platform operator registers only a municipality's first admin).
 */
/**
 * A test app for one municipality and its first admin, started before the file's tests and
 * closed after them; read `test` and `admin` inside the tests.
 */
export function municipalityApp(municipalityId: string, options: TestAppOptions = {}): { readonly test: TestApp; readonly admin: string } {
  const app = {} as { test: TestApp; admin: string };
  beforeAll(async () => {
    app.test = await startTestApp(options);
    await registerMunicipality(app.test, municipalityId);
    app.admin = await bootstrapAdminToken(app.test, municipalityId);
  }, 60_000);
  afterAll(async () => {
    await app.test?.close();
  });
  return app;
}

/** A municipality a test has to itself: its first admin, and every page of a list of its through the API. */
export interface FreshMunicipality {
  municipalityId: string;
  admin: string;
  list: <T>(path: string) => Promise<T[]>;
}

/**
 * A test app started before the file's tests and closed after them, whose tests each take a
 * municipality of their own (`fresh()`, numbered from `prefix`: `prefix01`, `prefix02`...), so a
 * bulk import in one test leaves the others' directories alone.
 */
export function freshMunicipalities(prefix: string, options: TestAppOptions = {}): { readonly test: TestApp; fresh: () => Promise<FreshMunicipality> } {
  let next = 0;
  const app = {} as { test: TestApp; fresh: () => Promise<FreshMunicipality> };
  beforeAll(async () => {
    app.test = await startTestApp(options);
  }, 60_000);
  afterAll(async () => {
    await app.test?.close();
  });
  app.fresh = async () => {
    next += 1;
    const municipalityId = `${prefix}${String(next).padStart(2, '0')}`;
    await registerMunicipality(app.test, municipalityId);
    const admin = await bootstrapAdminToken(app.test, municipalityId);
    return { municipalityId, admin, list: <T>(path: string) => allItems<T>(app.test, `/municipalities/${municipalityId}/${path}`, admin) };
  };
  return app;
}

export function bootstrapAdminToken(test: TestApp, municipalityId: string): Promise<string> {
  const admins = bootstrapAdmins.get(test) ?? new Map<string, Promise<string>>();
  bootstrapAdmins.set(test, admins);
  let token = admins.get(municipalityId);
  if (!token) {
    token = (async () => {
      const subject = `bootstrap-admin-${municipalityId}-${randomUUID()}`;
      const response = await test.request('POST', `/municipalities/${municipalityId}/users`, {
        token: await test.operatorToken(),
        body: { name: 'First Admin', email: `${subject}@example.test`, roles: ['municipality-admin', 'data-admin'], schoolIds: [], identity: { issuer: DEV_ISSUER, subject } },
      });
      if (response.status !== 201) throw new Error(`could not bootstrap ${municipalityId}: ${response.status} ${response.text}`);
      return test.token(subject);
    })();
    admins.set(municipalityId, token);
  }
  return token;
}

/** A staff user registered by the municipality's first admin, with a token for it. */
export async function createStaffUser(
  test: TestApp,
  municipalityId: string,
  roles: TenantRole[],
  extra: { schoolIds?: string[]; name?: string; email?: string; phone?: string } = {},
): Promise<SeededUser> {
  const subject = `user-${randomUUID()}`;
  const response = await test.request<{ id: string }>('POST', `/municipalities/${municipalityId}/users`, {
    token: await bootstrapAdminToken(test, municipalityId),
    body: {
      name: extra.name ?? 'Test Person',
      email: extra.email ?? `${subject}@example.test`,
      ...(extra.phone ? { phone: extra.phone } : {}),
      roles,
      schoolIds: extra.schoolIds ?? [],
      identity: { issuer: DEV_ISSUER, subject },
    },
  });
  if (response.status !== 201) throw new Error(`could not create user: ${response.status} ${response.text}`);
  return { id: response.body.id, subject, token: await test.token(subject) };
}

export function cosmosOperations(response: TestResponse): Record<string, number> {
  const header = response.headers.get('x-engage-cosmos-operations') ?? '';
  return Object.fromEntries(
    header.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
      const [kind, count] = part.split('=');
      return [kind as string, Number(count)];
    }),
  );
}

/** Every item of a list route, following its continuation tokens (`path` without a query string but `limit`). */
export async function allItems<T>(test: TestApp, path: string, token: string): Promise<T[]> {
  const items: T[] = [];
  let continuation: string | undefined;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page = await test.request<{ items: T[]; continuationToken?: string | null }>(
      'GET',
      `${path}${continuation ? `${separator}continuationToken=${encodeURIComponent(continuation)}` : ''}`,
      { token },
    );
    if (page.status !== 200) throw new Error(`${path}: ${page.status} ${page.text}`);
    items.push(...page.body.items);
    continuation = page.body.continuationToken ?? undefined;
  } while (continuation);
  return items;
}
