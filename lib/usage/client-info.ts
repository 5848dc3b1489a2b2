import { isIP } from 'node:net';
import type { ClientInfo } from './usage-model.js';

const MAX_USER_AGENT_LENGTH = 512;

/**
 * The client address is read from `X-Forwarded-For`, counting from the end: the last hop is
 * the one the platform's front end appended (App Service writes the address it saw; the local
 * host plays that part). Behind the API Management gateway, App Service sees the gateway, and
 * the hop before it is the client address the gateway wrote: `trustedProxyHops` (1 in Azure)
 * says how many hops at the end are our own proxies. Earlier hops are whatever the client
 * claimed and are ignored. App Service may add a port.
 */
export function clientIp(forwardedFor: string | null, trustedProxyHops = 0): string | undefined {
  const last = forwardedFor?.split(',').at(-1 - trustedProxyHops)?.trim();
  if (!last) return undefined;
  const candidates = [last, last.replace(/^\[(.+)\](?::\d+)?$/, '$1'), last.replace(/^([^:]+):\d+$/, '$1')];
  const found = candidates.find((candidate) => isIP(candidate) !== 0);
  return found?.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
}

export function clientInfo(headers: Headers, trustedProxyHops = 0): ClientInfo {
  const userAgent = headers.get('user-agent')?.trim().slice(0, MAX_USER_AGENT_LENGTH);
  return { ip: clientIp(headers.get('x-forwarded-for'), trustedProxyHops), userAgent: userAgent || undefined };
}
