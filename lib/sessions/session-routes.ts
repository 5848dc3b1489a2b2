import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { problems } from '../http/problem.js';
import { clearedCookies, LANGUAGES, preferencesCookie, readCookie, SESSION_COOKIE, sessionCookie } from './session-cookies.js';
import { defineRateLimit } from '../rate-limit/rate-limit-policy.js';

const SESSION_STARTS = defineRateLimit({ name: 'session-starts', quota: 30, windowSeconds: 600, per: 'caller' });

const sessionSchema = z.object({
  expiresAt: z.string(),
  idleTimeoutSeconds: z.number().int(),
  language: z.enum(LANGUAGES),
});

export const sessionRoutes: AnyRoute[] = [
  defineRoute({
    name: 'start-session',
    rateLimits: [SESSION_STARTS],
    // The answer carries a fresh session cookie, which is never stored: a repeat starts another session.
    idempotency: 'rerun',
    method: 'POST',
    path: '/session',
    summary: 'Exchange a bearer token for a session cookie and a language cookie (P11); ends a session the browser already had',
    description: 'Exchanges the bearer token for an opaque session cookie (`__Host-`, HttpOnly, Secure, SameSite) and a language cookie, for the browser. Changes made with the cookie need `X-Requested-With: engage`.',
    promises: ['P11'],
    tag: 'session',
    access: { kind: 'authenticated' },
    body: z.strictObject({ language: z.enum(LANGUAGES) }),
    response: sessionSchema,
    successStatus: 201,
    uses: ['sessions'],
    handler: async ({ body, principal, headers }, services) => {
      // A session can only extend itself through a fresh sign-in, never through its own cookie.
      if (!principal || !headers.get('authorization')) throw problems.unauthenticated('a session is started with a bearer token');
      const previous = readCookie(headers, SESSION_COOKIE);
      if (previous !== undefined) await services.sessions.end(previous);
      const started = await services.sessions.start(principal.identity);
      return {
        status: 201,
        body: { expiresAt: started.expiresAt, idleTimeoutSeconds: services.sessions.options.idleSeconds, language: body.language },
        cookies: [sessionCookie(started.token, started.maxAgeSeconds), preferencesCookie(body.language)],
      };
    },
  }),
  defineRoute({
    name: 'end-session',
    method: 'DELETE',
    path: '/session',
    summary: 'Sign out: the session ends on the server and both cookies are cleared',
    description: 'Ends the session on the server and clears both cookies.',
    promises: ['P11'],
    tag: 'session',
    access: { kind: 'authenticated' },
    successStatus: 204,
    uses: ['sessions'],
    handler: async ({ headers }, services) => {
      const token = readCookie(headers, SESSION_COOKIE);
      if (token !== undefined) await services.sessions.end(token);
      return { status: 204, cookies: clearedCookies() };
    },
  }),
];
