import type { Cookie } from '@azure/functions';

/**
 * The only two cookies the API sets (P11): one keeps the browser signed in, one remembers
 * the interface language. Neither value says anything about the person: the session value
 * is 256 random bits, the preferences value is a language code.
 */
export const SESSION_COOKIE = '__Host-engage-session';
export const PREFERENCES_COOKIE = 'engage-prefs';

export const LANGUAGES = ['nb', 'nn', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

/** A choice, not a sign-in: it outlives sessions. */
const PREFERENCES_MAX_AGE_SECONDS = 365 * 86_400;

/**
 * `__Host-` makes the browser refuse the cookie unless it is Secure, has Path=/ and no
 * Domain, so no sibling subdomain can set or overwrite it. HttpOnly keeps scripts from
 * reading it; SameSite=Strict keeps other sites' requests from carrying it.
 */
export function sessionCookie(token: string, maxAgeSeconds: number): Cookie {
  return { name: SESSION_COOKIE, value: token, path: '/', secure: true, httpOnly: true, sameSite: 'Strict', maxAge: maxAgeSeconds };
}

/** Readable by the frontend's scripts (it picks the language), so not HttpOnly. */
export function preferencesCookie(language: Language): Cookie {
  return { name: PREFERENCES_COOKIE, value: language, path: '/', secure: true, sameSite: 'Strict', maxAge: PREFERENCES_MAX_AGE_SECONDS };
}

export function clearedSessionCookie(): Cookie {
  return { ...sessionCookie('', 0), expires: new Date(0) };
}

/** Both cookies, emptied and expired: what signing out sends. */
export function clearedCookies(): Cookie[] {
  return [clearedSessionCookie(), { ...preferencesCookie('nb'), value: '', maxAge: 0, expires: new Date(0) }];
}

/** The value of one cookie from the request's Cookie header; the first wins if it repeats. */
export function readCookie(headers: Headers, name: string): string | undefined {
  const header = headers.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    if (part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}

/** A Set-Cookie header value, as the Functions host renders `HttpResponseInit.cookies`. */
export function serializeCookie(cookie: Cookie): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(cookie.maxAge))}`);
  if (cookie.expires !== undefined) parts.push(`Expires=${new Date(cookie.expires).toUTCString()}`);
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  if (cookie.path) parts.push(`Path=${cookie.path}`);
  if (cookie.secure) parts.push('Secure');
  if (cookie.httpOnly) parts.push('HttpOnly');
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join('; ');
}
