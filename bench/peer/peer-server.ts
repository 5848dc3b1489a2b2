// Child process of `npm run bench -- peer`: the server a careful team would write by hand
// for the same two reads. node:http, jose with a cached remote JWKS checking the same ES256
// token, one @azure/cosmos call per read on the same emulator and database, the same JSON.
// With ENGAGE_PEER_AUDIT=1 it also creates the same audit entry, concurrently with the read,
// and answers once both are done. Prints `READY <url>`.
import { createHmac, hkdfSync, randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { CosmosClient } from '@azure/cosmos';
import { createRemoteJWKSet, jwtVerify } from 'jose';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
const env = {
  COSMOS_ENDPOINT: required('COSMOS_ENDPOINT'),
  COSMOS_KEY: required('COSMOS_KEY'),
  COSMOS_DATABASE: required('COSMOS_DATABASE'),
  PRIVACY_DIGEST_KEY: required('PRIVACY_DIGEST_KEY'),
  ENGAGE_PEER_JWKS_URI: required('ENGAGE_PEER_JWKS_URI'),
  ENGAGE_PEER_ISSUER: required('ENGAGE_PEER_ISSUER'),
  ENGAGE_PEER_AUDIENCE: required('ENGAGE_PEER_AUDIENCE'),
};
const writesAudit = process.env.ENGAGE_PEER_AUDIT === '1';
const jwks = createRemoteJWKSet(new URL(env.ENGAGE_PEER_JWKS_URI));
const client = new CosmosClient({ endpoint: env.COSMOS_ENDPOINT, key: env.COSMOS_KEY, agent: new Agent({ rejectUnauthorized: false, keepAlive: true }), connectionPolicy: { enableEndpointDiscovery: false } });
const database = client.database(env.COSMOS_DATABASE);
const directory = database.container('directory');
const audit = database.container('audit');
// The app's continuation tokens are sealed (HMAC over what they were issued for); so are these.
const sealKey = Buffer.from(hkdfSync('sha256', env.PRIVACY_DIGEST_KEY, '', 'engage/continuation-token/v2', 32));
const LIST_QUERY = "SELECT * FROM c WHERE c.municipalityId = @pk0 AND (c.type = 'student' AND NOT IS_DEFINED(c.erasureId) AND true)";

interface Student {
  id: string; givenName: string; familyName: string; birthDate: string; schoolId: string; yearLevel: number;
  status: string; leftAt?: string; groupIds: string[]; createdAt: string; updatedAt: string; type?: string; erasureId?: string;
}

const view = (s: Student) => ({
  id: s.id, givenName: s.givenName, familyName: s.familyName, birthDate: s.birthDate, schoolId: s.schoolId, yearLevel: s.yearLevel,
  status: s.status, ...(s.leftAt === undefined ? {} : { leftAt: s.leftAt }), groupIds: s.groupIds, createdAt: s.createdAt, updatedAt: s.updatedAt,
});

function send(res: ServerResponse, status: number, body: unknown, etag?: string): void {
  const headers: Record<string, string> = { 'content-type': body === undefined ? 'application/problem+json' : 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (etag) headers.etag = etag;
  res.writeHead(status, headers).end(body === undefined ? '{"status":' + String(status) + '}' : JSON.stringify(body));
}

function auditEntry(municipalityId: string, subject: string, action: string, targetIds: string[]) {
  const at = new Date().toISOString();
  return { id: randomUUID(), municipalityId, month: at.slice(0, 7), at, actorId: subject, actorRole: 'data-admin', action, resourceType: 'student', targetIds };
}

const STUDENT = /^\/api\/municipalities\/(\d{4})\/students\/([0-9a-f-]{36})$/;
const STUDENTS = /^\/api\/municipalities\/(\d{4})\/students$/;

const server = createServer((req, res) => {
  void (async () => {
    const url = new URL(req.url ?? '/', 'http://peer');
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return send(res, 401, undefined);
    let subject: string;
    try {
      subject = (await jwtVerify(token, jwks, { issuer: env.ENGAGE_PEER_ISSUER, audience: env.ENGAGE_PEER_AUDIENCE, algorithms: ['ES256'] })).payload.sub ?? '';
    } catch {
      return send(res, 401, undefined);
    }
    const one = STUDENT.exec(url.pathname);
    if (one) {
      const [, municipalityId = '', id = ''] = one;
      const read = directory.item(id, municipalityId).read<Student>();
      const [{ resource, etag }] = await Promise.all([read, writesAudit ? audit.items.create(auditEntry(municipalityId, subject, 'read', [id])) : undefined]);
      if (!resource || resource.type !== 'student' || resource.erasureId !== undefined) return send(res, 404, undefined);
      return send(res, 200, view(resource), etag);
    }
    const many = STUDENTS.exec(url.pathname);
    if (many) {
      const municipalityId = many[1] ?? '';
      const limit = Number(url.searchParams.get('limit') ?? '25');
      const parameters = [{ name: '@pk0', value: municipalityId }];
      const page = await directory.items.query<Student>({ query: LIST_QUERY, parameters }, { partitionKey: municipalityId, maxItemCount: limit }).fetchNext();
      const items = page.resources.map(view);
      if (writesAudit) await audit.items.create(auditEntry(municipalityId, subject, 'list', items.map((item) => item.id)));
      return send(res, 200, { items, continuationToken: page.continuationToken ? seal(municipalityId, page.continuationToken, parameters) : null });
    }
    return send(res, 404, undefined);
  })().catch(() => send(res, 500, undefined));
});

function seal(municipalityId: string, inner: string, parameters: unknown[]): string {
  const binding = ['query-page', 'directory', [['municipalityId', municipalityId]], `${LIST_QUERY}`, parameters.slice(1)];
  const mac = createHmac('sha256', sealKey).update(JSON.stringify([binding, inner])).digest('base64url');
  return Buffer.from(JSON.stringify({ v: 2, c: inner, m: mac })).toString('base64url');
}

server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => writeSync(1, `READY http://127.0.0.1:${(server.address() as AddressInfo).port}/api\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
