import { HttpProblem, problems } from '../http/problem.js';
import type { TokenIdentity } from '../identity/principal.js';
import { clearedSessionCookie, readCookie, SESSION_COOKIE, serializeCookie } from './session-cookies.js';
import { SessionRejected, type SessionStore } from './session-store.js';

/** The header a cookie-authenticated change must carry (CSRF defence). */
const CSRF_HEADER = 'x-requested-with';
const CSRF_HEADER_VALUE = 'engage';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface SessionRequest {
  method: string;
  headers: Headers;
}

/**
 * The identity behind the request's session cookie, for a request without an
 * Authorization header. A cookie rides along on every request the browser makes, also on
 * those another site triggers; so a change (POST, PUT, PATCH, DELETE) must also carry
 * `X-Requested-With: engage`, which a cross-site form cannot send and a cross-site script
 * can only send after a CORS preflight that only allowed origins pass; and an `Origin`, when
 * the browser sends one, must be one of CORS_ALLOWED_ORIGINS (a frontend served from the
 * API's own origin lists that origin too).
 */
export async function sessionIdentity(request: SessionRequest, sessions: SessionStore, allowedOrigins: readonly string[]): Promise<TokenIdentity> {
  const token = readCookie(request.headers, SESSION_COOKIE);
  if (token === undefined) throw problems.unauthenticated('a bearer token is required (or, in a browser, a session cookie)');
  if (UNSAFE_METHODS.has(request.method.toUpperCase())) requireCsrfProof(request, allowedOrigins);
  try {
    return await sessions.resume(token);
  } catch (error) {
    if (error instanceof SessionRejected) throw sessionEnded(error.message);
    throw error;
  }
}

function requireCsrfProof(request: SessionRequest, allowedOrigins: readonly string[]): void {
  if (request.headers.get(CSRF_HEADER) !== CSRF_HEADER_VALUE) {
    throw csrfRefused(`Changes made with a session cookie need the header X-Requested-With: ${CSRF_HEADER_VALUE}`);
  }
  const origin = request.headers.get('origin');
  if (origin !== null && !allowedOrigins.includes(origin)) {
    throw csrfRefused('The request comes from an origin that may not use this session');
  }
}

function csrfRefused(detail: string): HttpProblem {
  return new HttpProblem(403, 'csrf-check-failed', 'Forbidden', detail);
}

/** 401, and the browser drops the dead cookie. */
function sessionEnded(detail: string): HttpProblem {
  const unauthenticated = problems.unauthenticated(detail);
  return new HttpProblem(401, unauthenticated.slug, unauthenticated.title, detail, {}, {
    ...unauthenticated.headers,
    'Set-Cookie': serializeCookie(clearedSessionCookie()),
  });
}
