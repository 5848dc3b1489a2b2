import type { Cookie } from '@azure/functions';
import type { z } from 'zod';
import type { AuditAction } from '../audit/audit-log.js';
import type { Principal, Role } from '../identity/principal.js';
import type { RateLimitPolicy } from '../rate-limit/rate-limit-policy.js';
import type { ClientInfo } from '../usage/usage-model.js';
import type { ServiceName, Services } from '../services.js';

/** A promise of the privacy statement, numbered as in the product brief. */
export type PromiseId = `P${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16 | 17 | 18 | 19}`;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route. `public`: anyone, no token. `authenticated`: any valid token,
 * registered or not. `roles`: at least one of the roles. Tenant scoping (the caller's
 * municipality must be the one in the path) is applied on top whenever the path has
 * `{municipalityId}`.
 */
export type Access =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'roles'; roles: readonly Role[] };

export interface RouteRequest<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal | undefined;
  headers: Headers;
  /** The caller's address and user agent, as the platform's proxies report them (lib/usage/client-info.ts). */
  client: ClientInfo;
  requestId: string;
}

export interface JsonResult<T> {
  status: number;
  body?: T;
  headers?: Record<string, string>;
  /** Set-Cookie, one per cookie (a header map holds one): the session routes (P11). */
  cookies?: Cookie[];
  /** Ids the audit entry names when the route's declared `targets` cannot see them (they are not in the response). */
  auditTargets?: readonly string[];
}

export interface RawResult {
  status: number;
  raw: string | Uint8Array;
  contentType: string;
  headers?: Record<string, string>;
  auditTargets?: readonly string[];
}

export type RouteResult<T> = JsonResult<T> | RawResult;

type AnyZodObject = z.ZodObject<z.ZodRawShape>;

/**
 * That a successful call is written to the municipality's audit log (who read or changed
 * what): the dispatcher writes it before answering, for every caller, operators included.
 */
export interface AuditDeclaration<P, Q, B, R> {
  action: AuditAction;
  resource: string;
  /** The ids the entry names; a `list` naming none is not written. */
  targets?: (request: RouteRequest<P, Q, B>, response: R) => readonly string[];
  /** The municipality whose log gets the entry; default the one in the path. */
  municipality?: (request: RouteRequest<P, Q, B>, response: R) => string;
  /**
   * A read audited as an attempt: its `targets` and `municipality` come from the request
   * alone (they get no response), so the entry is written while the handler reads, and an
   * attempt the handler answers 404 (not there, or not visible to the caller) is audited too.
   * The answer still waits for the entry. Refusals before the handler (token, tenant, role,
   * input) write none.
   */
  attempts?: true;
}

export interface RouteDefinition<
  P extends AnyZodObject = AnyZodObject,
  Q extends AnyZodObject = AnyZodObject,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
  U extends ServiceName = ServiceName,
> {
  /** Function name in Azure and operationId in OpenAPI. */
  name: string;
  method: HttpMethod;
  /** Path below /api, with `{param}` segments, e.g. `/municipalities/{municipalityId}`. */
  path: string;
  /** One line, shown next to the path. */
  summary: string;
  /** What the operation does and what a caller should know; roles, promises and the 404 rule are added from the declaration. */
  description?: string;
  /** The privacy-statement promises (P1-P19, docs/api-contract.md) this route serves. */
  promises?: readonly PromiseId[];
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** Success body schema; responses are parsed through it so nothing unlisted leaves. */
  response?: R;
  /** Media type of a raw (non-JSON) success response. */
  rawContentType?: string;
  /**
   * The success is a file to save (`Content-Disposition: attachment`). `formats` names the media
   * type of each value of the `format` query parameter when there is more than one.
   */
  download?: { formats?: Readonly<Record<string, string>> };
  /** The success carries `Location`: the created resource (201) or where to follow accepted work (202). */
  location?: boolean;
  successStatus: number;
  /** Extra statuses a caller should expect beyond the common ones (for OpenAPI). */
  errorStatuses?: readonly number[];
  /** Requires If-Match (PATCH/PUT on versioned resources). */
  requiresIfMatch?: boolean;
  /** Served by the local host only; never registered as an Azure Function. */
  localOnly?: boolean;
  /**
   * Limits on how often a caller (or the whole platform) may call this route, counted across
   * instances; a call over one answers 429 with Retry-After and RateLimit headers.
   */
  rateLimits?: readonly RateLimitPolicy[];
  /**
   * What a POST repeated with the same Idempotency-Key gets: `replay` (default) the first
   * response, nothing written; `rerun` runs again, for a response that carries a fresh
   * credential, which is never stored.
   */
  idempotency?: 'replay' | 'rerun';
  /** Audited: each success leaves an entry in the municipality's audit log; refusals leave none (but see `attempts`). */
  audit?: AuditDeclaration<z.infer<P>, z.infer<Q>, z.infer<B>, z.input<R>>;
  /**
   * The services the handler uses; it receives these and no others. Whether the function
   * needs the durable client binding follows from them (lib/app/function-registrations.ts).
   */
  uses: readonly U[];
  handler: (
    request: RouteRequest<z.infer<P>, z.infer<Q>, z.infer<B>>,
    services: Pick<Services, U>,
  ) => Promise<RouteResult<z.input<R>>>;
}

export type AnyRoute = RouteDefinition<AnyZodObject, AnyZodObject, z.ZodType, z.ZodType, ServiceName>;

/** Identity function that keeps the handler's input types tied to the schemas and its services to `uses`. */
export function defineRoute<
  P extends AnyZodObject,
  Q extends AnyZodObject,
  B extends z.ZodType,
  R extends z.ZodType,
  const U extends ServiceName = never,
>(route: RouteDefinition<P, Q, B, R, U>): AnyRoute {
  return route as unknown as AnyRoute;
}

export function isRaw<T>(result: RouteResult<T>): result is RawResult {
  return 'raw' in result;
}
