import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { cosmosStatus, isStorageError, retryAfterSeconds } from '../data/cosmos-errors.js';
import { emptyCounts, formatCounts } from '../data/operation-counter.js';
import { auditActor } from '../audit/audit-actor.js';
import { TokenRejected } from '../identity/token-rejected.js';
import { hasRole, type Principal, type TokenIdentity } from '../identity/principal.js';
import type { Services } from '../services.js';
import { sessionIdentity } from '../sessions/session-authentication.js';
import { createLogger } from '../logger.js';
import { describeError } from '../telemetry/scrubber.js';
import { clientInfo } from '../usage/client-info.js';
import type { ClientInfo } from '../usage/usage-model.js';
import { DeadlineExceeded } from '../data/request-deadline.js';
import { idempotencyKeyOf, requestFingerprint, runOnce } from '../idempotency/idempotent-request.js';
import { callerKey } from './caller-key.js';
import { HttpProblem, problems } from './problem.js';
import { problemLanguage } from './problem-language.js';
import { isRaw, type AnyRoute, type RouteRequest, type RouteResult } from './route.js';
import { parseOrThrow } from './validation.js';

const JSON_MEDIA_TYPES = ['application/json', 'application/merge-patch+json'];
/** What a route without declared params or query accepts: nothing. Built once (a zod object per request showed in profiles). */
const NO_FIELDS = z.strictObject({});
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

export const TENANT_PARAM = 'municipalityId';

interface DispatchOptions {
  services: () => Promise<Services>;
}

/**
 * Runs one route for one request: authenticate, validate, authorise, call the handler,
 * and map every failure to an RFC 9457 problem. Shared by the Azure Functions
 * registrations and the local host, so both behave the same.
 */
export async function dispatch(route: AnyRoute, request: HttpRequest, options: DispatchOptions): Promise<HttpResponseInit> {
  const requestId = randomUUID();
  const started = performance.now();
  let services: Services | undefined;
  let caller: Caller | undefined;
  let response: HttpResponseInit;
  const counts = emptyCounts();
  try {
    const ready = (services = await options.services());
    const known: Caller = (caller = { client: clientInfo(request.headers, ready.config.trustedProxyHops) });
    const { result } = await ready.deadlines.run(ready.config.requestDeadlineMs, () =>
      ready.operations.measure(() => run(route, request, ready, requestId, known), counts),
    );
    // Here, not per route result: a replayed response (an idempotent repeat) gets them too.
    response = { ...result, headers: Object.assign({ ...COMMON_HEADERS, 'x-request-id': requestId }, result.headers) };
  } catch (error) {
    response = problemResponse(toProblem(error, requestId, route, services), requestId, request.headers.get('accept-language'));
  }
  // Locally, every answer says what it cost, refusals included: tests check that a refusal wrote nothing.
  if (services?.config.mode === 'local') withHeader(response, 'x-engage-cosmos-operations', formatCounts(counts));
  // P6 request log: outside the operation-count scope, buffered, never awaited here.
  if (services && caller) {
    services.requestLog.record({
      method: route.method,
      route: route.path,
      status: response.status ?? 200,
      durationMs: performance.now() - started,
      principal: caller.principal,
      client: caller.client,
    });
  }
  return response;
}

/** Who called, once known: for the request log, which is written after the response is made. */
interface Caller {
  client: ClientInfo;
  principal?: Principal;
}

async function run(route: AnyRoute, request: HttpRequest, services: Services, requestId: string, caller: Caller): Promise<HttpResponseInit> {
  const principal = route.access.kind === 'public' ? undefined : await authenticate(route, request, services, chosenMunicipality(route, request));
  caller.principal = principal;
  const params = parseOrThrow('params', route.params ?? NO_FIELDS, { ...request.params });
  if (principal) authorise(route, principal, params as Record<string, unknown>);
  const query = parseOrThrow('query', route.query ?? NO_FIELDS, queryObject(request));
  const body = METHODS_WITH_BODY.has(route.method) && route.body ? await readBody(route, request, services) : undefined;
  if (route.requiresIfMatch && !request.headers.get('if-match')) throw problems.preconditionRequired();
  const routeRequest = { params, query, body, principal, headers: request.headers, client: caller.client, requestId };
  const guardedAs = callerKey(principal, caller.client);
  const execute = async () => {
    const limits = route.rateLimits ? await services.rateLimits.consume(route.rateLimits, guardedAs) : {};
    const attempt = route.audit?.attempts && principal ? recordAudit(route, routeRequest, undefined, principal, services) : undefined;
    // Awaited below on every path; this only keeps a failed write from being reported as unhandled meanwhile.
    attempt?.catch(() => undefined);
    let result: RouteResult<unknown>;
    try {
      result = await route.handler(routeRequest, services);
    } catch (error) {
      await attempt;
      throw error;
    }
    if (attempt) await attempt;
    else if (route.audit && principal) await recordAudit(route, routeRequest, result, principal, services);
    return { response: toResponse(route, result, limits), result };
  };
  const key = idempotencyKeyOf(route, request);
  if (key === undefined) return (await execute()).response;
  const fingerprint = requestFingerprint(route, request, body);
  return runOnce({ store: services.idempotency, deadlines: services.deadlines, caller: guardedAs, key, fingerprint }, execute);
}

/**
 * The declared audit entry of a success (or, for a route that audits attempts, of the
 * attempt: no result yet), durable before the caller gets the answer.
 */
async function recordAudit(route: AnyRoute, request: RouteRequest<Record<string, unknown>, unknown, unknown>, result: RouteResult<unknown> | undefined, principal: Principal, services: Services): Promise<void> {
  const audit = route.audit as NonNullable<AnyRoute['audit']>;
  const actor = auditActor(principal, services.config.privacyDigestKey);
  if (!actor) return;
  const response = result === undefined || isRaw(result) ? undefined : result.body;
  const targets = result?.auditTargets ?? audit.targets?.(request as never, response) ?? [];
  if (audit.action === 'list' && targets.length === 0) return;
  const municipalityId = audit.municipality?.(request as never, response) ?? String(request.params[TENANT_PARAM]);
  await services.audit.record({ municipalityId, ...actor, action: audit.action, resourceType: audit.resource, targetIds: targets });
}

/** The header naming the municipality a request outside `/municipalities/{id}` is for. */
const MUNICIPALITY_HEADER = 'engage-municipality';

/**
 * Which of the caller's municipalities the request is for: the one in the path, or, on the
 * routes outside it, the one the header names. An identity that is staff in several
 * municipalities must name one on the routes that act as staff; staff of one need not.
 */
function chosenMunicipality(route: AnyRoute, request: HttpRequest): { municipalityId: string | undefined; fromHeader: boolean } {
  const inPath = request.params[TENANT_PARAM];
  if (typeof inPath === 'string' && route.path.includes(`{${TENANT_PARAM}}`)) return { municipalityId: inPath, fromHeader: false };
  return { municipalityId: request.headers.get(MUNICIPALITY_HEADER) ?? undefined, fromHeader: true };
}

async function authenticate(route: AnyRoute, request: HttpRequest, services: Services, chosen: ReturnType<typeof chosenMunicipality>): Promise<Principal> {
  const principal = await services.principals.resolve(await identityOf(request, services), chosen.municipalityId);
  if (principal.kind === 'staff' && chosen.fromHeader) {
    if (chosen.municipalityId !== undefined && principal.municipalityId !== chosen.municipalityId) {
      throw problems.validation([{ field: `headers/${MUNICIPALITY_HEADER}`, message: 'you are not staff in that municipality' }]);
    }
    // A route any signed-in caller may use (GET /me) answers for the first membership and lists them all.
    if (chosen.municipalityId === undefined && principal.memberships.length > 1 && route.access.kind === 'roles') {
      throw problems.validation([{ field: `headers/${MUNICIPALITY_HEADER}`, message: 'you are staff in several municipalities: name the one this request is for' }]);
    }
  }
  return principal;
}

async function identityOf(request: HttpRequest, services: Services): Promise<TokenIdentity> {
  const header = request.headers.get('authorization');
  // The browser's session cookie (P11) stands in for a bearer token; see lib/sessions.
  if (!header) return sessionIdentity(request, services.sessions, services.config.corsAllowedOrigins);
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match?.[1]) throw problems.unauthenticated('the Authorization header must be "Bearer <token>"');
  try {
    return await services.tokens.verify(match[1]);
  } catch (error) {
    if (error instanceof TokenRejected) throw problems.unauthenticated(error.reason);
    throw error;
  }
}

/**
 * Tenant scope first, then roles: a caller from another municipality learns nothing,
 * not even that the municipality exists (404); a caller in the right municipality
 * without the role gets 403.
 */
function authorise(route: AnyRoute, principal: Principal, params: Record<string, unknown>): void {
  const tenant = params[TENANT_PARAM];
  if (typeof tenant === 'string') {
    if (principal.kind === 'staff' && principal.municipalityId !== tenant) throw problems.notFound();
    if (principal.kind === 'unregistered') throw problems.notFound();
    if (principal.kind === 'operator' && !allows(route, principal)) throw problems.notFound();
  }
  if (!allows(route, principal)) {
    throw principal.kind === 'unregistered'
      ? problems.forbidden('Your identity is not registered with any municipality')
      : problems.forbidden();
  }
}

function allows(route: AnyRoute, principal: Principal): boolean {
  if (route.access.kind !== 'roles') return true;
  return route.access.roles.some((role) => hasRole(principal, role));
}

function queryObject(request: HttpRequest): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of request.query.entries()) {
    if (key in query) {
      throw problems.validation([{ field: 'query', message: 'a parameter is repeated' }]);
    }
    query[key] = value;
  }
  return query;
}

async function readBody(route: AnyRoute, request: HttpRequest, services: Services): Promise<unknown> {
  const limit = services.config.maxBodyBytes;
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (Number.isFinite(declared) && declared > limit) throw problems.payloadTooLarge(limit);
  const mediaType = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!JSON_MEDIA_TYPES.includes(mediaType)) throw problems.unsupportedMediaType(JSON_MEDIA_TYPES);
  const text = await request.text();
  if (Buffer.byteLength(text, 'utf8') > limit) throw problems.payloadTooLarge(limit);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw problems.malformedJson();
  }
  return parseOrThrow('body', route.body ?? z.undefined(), json);
}

const COMMON_HEADERS: Record<string, string> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  // A browser client may read these across origins (CORS itself is the platform's, or the local host's).
  'Access-Control-Expose-Headers': 'Location, ETag, Retry-After, RateLimit, RateLimit-Policy, Idempotent-Replayed, x-request-id',
};

function toResponse(route: AnyRoute, result: RouteResult<unknown>, extraHeaders: Record<string, string>): HttpResponseInit {
  const headers: Record<string, string> = Object.assign(extraHeaders, result.headers);
  if (isRaw(result)) {
    headers['Content-Type'] = result.contentType;
    return { status: result.status, headers, body: result.raw };
  }
  const cookies = result.cookies ? { cookies: result.cookies } : {};
  if (result.body === undefined) return { status: result.status, headers, ...cookies };
  // Parsing through the response schema strips anything the schema does not list.
  const body = route.response ? route.response.parse(result.body) : result.body;
  headers['Content-Type'] = 'application/json; charset=utf-8';
  return { status: result.status, headers, body: JSON.stringify(body), ...cookies };
}

function toProblem(error: unknown, requestId: string, route: AnyRoute, services: Services | undefined): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof DeadlineExceeded) return problems.unavailable('The database did not answer in time; retry shortly', 5);
  const status = cosmosStatus(error);
  if (status === 429) return problems.unavailable(isStorageError(error) ? 'Storage is busy; retry shortly' : 'The database is busy; retry shortly', retryAfterSeconds(error) ?? 1);
  if (status === 503 || status === 408 || isConnectionFailure(error)) {
    return problems.unavailable('A dependency is unavailable; retry shortly', 5);
  }
  if (status === 412) return problems.preconditionFailed();
  // The request id is the one the caller got: support can find this line from a user's report.
  (services?.logger ?? createLogger()).error('request-failed', { route: route.name, requestId, status, ...describeError(error) });
  if (error instanceof StartupFailure) return problems.unavailable('The service is not ready', 30);
  return problems.internal(requestId);
}

function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // REQUEST_SEND_ERROR: the Azure SDKs' RestError for a request that never got an answer.
  return typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'REQUEST_SEND_ERROR'].includes(code);
}

/** Thrown (wrapped) when the composition root could not start; every request then answers 503. */
export class StartupFailure extends Error {
  constructor(readonly reason: Error) {
    super(reason.message);
    this.name = 'StartupFailure';
  }
}

/** The problem as a response, its title and detail in the language the caller's Accept-Language prefers (en or nb). */
export function problemResponse(problem: HttpProblem, requestId: string, acceptLanguage?: string | null): HttpResponseInit {
  const language = problemLanguage(acceptLanguage);
  return {
    status: problem.status,
    headers: {
      ...COMMON_HEADERS,
      'x-request-id': requestId,
      'Content-Type': 'application/problem+json; charset=utf-8',
      'Content-Language': language,
      Vary: 'Accept-Language',
      ...problem.headers,
    },
    body: JSON.stringify(problem.toBody(language)),
  };
}

/** The dispatcher made `response.headers` (a plain object) itself: adding to it copies nothing. */
function withHeader(response: HttpResponseInit, name: string, value: string): void {
  (response.headers as Record<string, string>)[name] = value;
}
