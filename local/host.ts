import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import functions, { type HttpResponseInit } from '@azure/functions';
import { httpFunctions, type FunctionRegistration, type HttpFunction, type TimerFunction } from '../lib/app/function-registrations.js';
import { assertHostConformance } from '../lib/app/host-conformance.js';
import { problemResponse } from '../lib/http/dispatcher.js';
import { problems } from '../lib/http/problem.js';
import { HostRouter } from '../lib/http/router.js';
import { serializeCookie } from '../lib/sessions/session-cookies.js';
import { invocationContextFor } from './invocation.js';

export interface LocalHostOptions {
  /** The app's functions (lib/app/function-registrations.ts): the host serves the HTTP ones. */
  registrations: readonly FunctionRegistration[];
  /** Whether a function's feature declares it may start or read orchestrations (lib/app/function-manifest.ts). */
  needsDurableClient: (functionName: string) => boolean;
  maxBodyBytes: number;
  corsAllowedOrigins: readonly string[];
  port: number;
  hostname?: string;
}

export interface LocalHost {
  server: Server;
  url: string;
  close(): Promise<void>;
}

// @azure/functions is a CommonJS bundle whose named exports Node's ESM loader cannot see.
const { HttpRequest } = functions;
type HttpRequest = InstanceType<typeof HttpRequest>;
const API_PREFIX = '/api';
const CORS_HEADERS = 'Authorization, Content-Type, If-Match, X-Requested-With, Engage-Municipality, Idempotency-Key';

/**
 * Serves the app's HTTP functions as the Functions host would: it refuses to start with a
 * registration the host refuses (lib/app/host-rules.ts), routes in function-name order
 * (first match wins), builds the `HttpRequest` and an `InvocationContext` carrying the
 * function's bindings, and calls the same handler the Azure registration calls.
 */
export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  assertHostConformance(options.registrations, options.needsDurableClient);
  const router = new HostRouter(httpFunctions(options.registrations));
  const server = createServer((incoming, outgoing) => {
    const served = ADMIN_FUNCTION.test(incoming.url ?? '') ? runNonHttpFunction(incoming, outgoing, options) : handle(incoming, outgoing, router, options);
    served.catch((error: unknown) => {
      console.error(JSON.stringify({ level: 'error', event: 'local-host-failure', error: error instanceof Error ? error.name : 'unknown' }));
      if (!outgoing.headersSent) send(outgoing, problemResponse(problems.internal('local-host'), 'local-host'));
      else outgoing.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.hostname ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${options.hostname ?? '127.0.0.1'}:${port}${API_PREFIX}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ADMIN_FUNCTION = /^\/admin\/functions\/([A-Za-z][A-Za-z0-9_-]*)$/;

/**
 * The host's own `POST /admin/functions/{name}`, which runs a non-HTTP function now (Core
 * Tools serves it without a key; Azure wants the master key): how to fire a timer by hand.
 * Answers 202 once the run has finished, 404 for a function that is not a timer.
 */
async function runNonHttpFunction(incoming: IncomingMessage, outgoing: ServerResponse, options: LocalHostOptions): Promise<void> {
  const name = ADMIN_FUNCTION.exec(incoming.url ?? '')?.[1];
  incoming.resume();
  const timer = options.registrations.find((registration): registration is TimerFunction => registration.kind === 'timer' && registration.name === name);
  if (incoming.method !== 'POST' || !timer) {
    send(outgoing, problemResponse(problems.notFound('No such timer function'), 'local-host'));
    return;
  }
  const ran = await timer.handler({ isPastDue: false }, invocationContextFor(timer, { type: 'timerTrigger' })).then(
    () => true,
    () => false,
  );
  send(outgoing, ran ? { status: 202 } : problemResponse(problems.internal('local-host'), 'local-host'));
}

async function handle(incoming: IncomingMessage, outgoing: ServerResponse, router: HostRouter<HttpFunction>, options: LocalHostOptions): Promise<void> {
  const url = new URL(incoming.url ?? '/', 'http://localhost');
  const method = (incoming.method ?? 'GET').toUpperCase();
  const cors = corsHeaders(incoming, options.corsAllowedOrigins);
  if (!url.pathname.startsWith(`${API_PREFIX}/`)) {
    send(outgoing, problemResponse(problems.notFound('No such route'), 'local-host', incoming.headers['accept-language']), cors);
    return;
  }
  const path = url.pathname.slice(API_PREFIX.length);
  if (method === 'OPTIONS' && incoming.headers['access-control-request-method']) {
    send(outgoing, { status: cors['Access-Control-Allow-Origin'] ? 204 : 403 }, {
      ...cors,
      'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE',
      'Access-Control-Allow-Headers': CORS_HEADERS,
      'Access-Control-Max-Age': '600',
    });
    return;
  }
  const match = router.match(method, path);
  if (!match) {
    send(outgoing, problemResponse(problems.notFound('No such route'), 'local-host', incoming.headers['accept-language']), cors);
    return;
  }
  const body = await readLimited(incoming, options.maxBodyBytes);
  if (body === 'too-large') {
    send(outgoing, problemResponse(problems.payloadTooLarge(options.maxBodyBytes), 'local-host', incoming.headers['accept-language']), { ...cors, Connection: 'close' });
    return;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  // The platform front end sets the client address; the local host plays that part.
  headers['x-forwarded-for'] = incoming.socket.remoteAddress ?? '';
  const request = new HttpRequest({
    method,
    url: url.toString(),
    headers,
    params: match.params,
    query: Object.fromEntries(url.searchParams.entries()),
    ...(body.length > 0 ? { body: { bytes: body } } : {}),
  });
  // HttpRequest keeps only one value per query key; the dispatcher must see repeats to refuse them.
  const fn = match.function;
  const response = await fn.handler(withRawQuery(request, url.searchParams), invocationContextFor(fn, { type: 'httpTrigger' }));
  send(outgoing, response, cors);
}

function withRawQuery(request: HttpRequest, query: URLSearchParams): HttpRequest {
  Object.defineProperty(request, 'query', { value: query });
  return request;
}

function corsHeaders(incoming: IncomingMessage, allowed: readonly string[]): Record<string, string> {
  const origin = incoming.headers.origin;
  if (!origin || !allowed.includes(origin)) return {};
  return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' };
}

const NO_BODY = new Uint8Array(0);

async function readLimited(incoming: IncomingMessage, limit: number): Promise<Uint8Array | 'too-large'> {
  const declared = Number(incoming.headers['content-length'] ?? '0');
  if (declared > limit) {
    incoming.resume();
    return 'too-large';
  }
  // No Content-Length and no Transfer-Encoding: HTTP/1.1 says there is no body (a GET). Not
  // iterating the stream saves an async iterator and its promises on every such request.
  if (incoming.headers['content-length'] === undefined && incoming.headers['transfer-encoding'] === undefined) {
    incoming.resume();
    return NO_BODY;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      incoming.resume();
      return 'too-large';
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(outgoing: ServerResponse, response: HttpResponseInit, extraHeaders: Record<string, string> = {}): void {
  const own = response.headers as Record<string, string> | undefined;
  const headers: Record<string, string | string[]> = { ...own, ...extraHeaders };
  // Both caches keys count: the response's own (Accept-Language on problems) and the host's (Origin).
  const vary = [own?.Vary, extraHeaders.Vary].filter((value): value is string => Boolean(value));
  if (vary.length > 0) headers.Vary = vary.join(', ');
  // The Functions host renders `cookies` as one Set-Cookie header each; so does the local host.
  if (response.cookies?.length) headers['Set-Cookie'] = response.cookies.map(serializeCookie);
  outgoing.writeHead(response.status ?? 200, headers);
  const body = response.body;
  if (body === undefined || body === null) outgoing.end();
  else if (typeof body === 'string' || body instanceof Uint8Array) outgoing.end(body);
  else outgoing.end(String(body));
}
