import type { PluginConfig } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyCosmosRequest } from '../../lib/data/operation-counter.js';
import { cosmosOperations, createStaffUser, registerMunicipality, startTestApp, type TestApp, type TestResponse } from '../support/test-app.js';

/**
 * The group commit of audit entries (lib/audit/audit-log.ts) under faults injected on
 * purpose by a Cosmos DB request plugin: audit writes held until the test lets them go, and
 * one partition's batch failing. A group write belongs to none of the requests it serves: no
 * request's deadline cuts it, and one partition's failure fails only that partition's reads.
 */
const DEADLINE_MS = 3_000;
const HOME = '0301';
const OTHER = '4601';

interface AuditWrite {
  /** Entries in it: 1 for a point create, the operations of a batch. */
  entries: number;
  municipalityId: string;
}

/** Holds audit writes while closed; fails the batches of one municipality with a throttled entry when told. */
class AuditWriteFaults {
  readonly writes: AuditWrite[] = [];
  /** Point reads seen, by the last segment of their path (a document id). */
  readonly reads = new Set<string>();
  private held: (() => void)[] = [];
  private open = true;
  failBatchesOf: string | undefined;
  /** `entry`: one operation throttled, the batch answered 207; `request`: the batch request itself fails. */
  failure: 'entry' | 'request' = 'entry';
  /** Audit writes stall as on a dead socket: no answer, until the call's abort signal fires. */
  stall = false;

  readonly plugin: PluginConfig = {
    on: 'request',
    plugin: async (context, _diagnostics, next) => {
      const request = context as Parameters<typeof classifyCosmosRequest>[0] & { body?: unknown };
      const kind = classifyCosmosRequest(request);
      if (kind === 'point-read') this.reads.add(String(request.path).split('/').at(-1) ?? '');
      if (kind !== 'write' || !/\/colls\/audit(\/|$)/.test(String(request.path))) return next(context);
      const body = typeof request.body === 'string' ? (JSON.parse(request.body) as unknown) : request.body;
      const entries = Array.isArray(body) ? body.map((operation: { resourceBody: { municipalityId: string } }) => operation.resourceBody) : [body as { municipalityId: string }];
      const municipalityId = entries[0]?.municipalityId ?? '';
      this.writes.push({ entries: entries.length, municipalityId });
      const signal = (context as { options?: { abortSignal?: AbortSignal } }).options?.abortSignal;
      if (this.stall) {
        await new Promise<never>((_resolve, reject) => {
          if (signal?.aborted) reject(new Error('aborted'));
          signal?.addEventListener('abort', () => reject(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' })), { once: true });
        });
      }
      if (!this.open) await new Promise<void>((resolve) => this.held.push(resolve));
      if (Array.isArray(body) && municipalityId === this.failBatchesOf && this.failure === 'request') {
        throw Object.assign(new Error('Service Unavailable'), { code: 503, headers: {} });
      }
      if (Array.isArray(body) && municipalityId === this.failBatchesOf) {
        // As Cosmos DB answers an atomic batch one of whose operations was throttled: 207, that
        // operation's own status, 424 (failed dependency) for every other; nothing stored.
        const result = entries.map((_entry, index) => ({ statusCode: index === entries.length - 1 ? 429 : 424, requestCharge: 0 }));
        return { result, headers: {}, code: 207 } as unknown as Awaited<ReturnType<typeof next>>;
      }
      return next(context);
    },
  };

  close(): void {
    this.open = false;
  }

  /** Lets the held writes go; later ones are held too unless `open`. */
  release(open: boolean): void {
    this.open = open;
    const held = this.held;
    this.held = [];
    for (const resume of held) resume();
  }

  heldCount(): number {
    return this.held.length;
  }
}

const faults = new AuditWriteFaults();
let test: TestApp;
const admins: Record<string, string> = {};
const students: Record<string, string[]> = { [HOME]: [], [OTHER]: [] };

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 20_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeAll(async () => {
  test = await startTestApp({ env: { REQUEST_DEADLINE_MS: String(DEADLINE_MS) }, composition: { cosmosPlugins: [faults.plugin] } });
  for (const municipalityId of [HOME, OTHER]) {
    await registerMunicipality(test, municipalityId);
    admins[municipalityId] = (await createStaffUser(test, municipalityId, ['data-admin'])).token;
    const { services } = test.app;
    const school = (await services.schools.create(municipalityId, { name: 'Revisjon skole' })).value;
    for (let i = 0; i < 4; i += 1) {
      const student = await services.students.create(municipalityId, { givenName: 'Elev', familyName: `Nr${i}`, birthDate: '2012-01-01', schoolId: school.id, yearLevel: 7, status: 'active' });
      students[municipalityId]?.push(student.value.id);
    }
    // The caller's first request also resolves who they are; later ones are the reads measured.
    await read(municipalityId, students[municipalityId]?.[0] as string);
  }
}, 60_000);
afterAll(async () => {
  faults.release(true);
  await test.close();
});

function read(municipalityId: string, studentId: string): Promise<TestResponse> {
  return test.request('GET', `/municipalities/${municipalityId}/students/${studentId}`, { token: admins[municipalityId] });
}

/** A read whose entry is waiting in the audit log: its point read has gone out, and the entry is queued before it. */
async function waitingRead(municipalityId: string, studentId: string): Promise<{ answer: Promise<TestResponse> }> {
  faults.reads.delete(studentId);
  const answer = read(municipalityId, studentId);
  await until(() => faults.reads.has(studentId), `the read of ${studentId}`);
  return { answer };
}

async function auditedReadsOf(municipalityId: string, studentId: string): Promise<number> {
  const { resources } = await test.app.services.cosmos.containers.audit.items
    .query<number>({ query: 'SELECT VALUE COUNT(1) FROM c WHERE c.municipalityId = @m AND ARRAY_CONTAINS(c.targetIds, @id)', parameters: [{ name: '@m', value: municipalityId }, { name: '@id', value: studentId }] })
    .fetchAll();
  return resources[0] ?? 0;
}

describe('audit group commit under faults injected on purpose', () => {
  it('a group write is not cut by its first request\'s deadline (writes held on purpose): that request alone answers 503 at its own deadline, the others 200 once the entries are stored, each counting the write', async () => {
    const [primer, first, second, third] = students[HOME] as [string, string, string, string];
    faults.close();
    const writesBefore = faults.writes.length;
    // The primer's entry goes alone and is held: the next entries wait for it and then go together.
    const primed = read(HOME, primer);
    await until(() => faults.heldCount() === 1, 'the primer\'s audit write');
    const early = (await waitingRead(HOME, first)).answer;
    // The others arrive half a deadline later: their deadlines end half a deadline after the first's.
    await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS / 2));
    const late = [(await waitingRead(HOME, second)).answer, (await waitingRead(HOME, third)).answer];
    faults.release(false);
    await until(() => faults.heldCount() === 1, 'the group write');
    expect(faults.writes.slice(writesBefore).map((write) => write.entries)).toEqual([1, 3]);

    const cut = await early;
    expect(cut.status, cut.text).toBe(503);
    faults.release(true);
    const answered = await Promise.all(late);
    expect(answered.map((response) => response.status)).toEqual([200, 200]);
    for (const response of answered) expect(cosmosOperations(response)).toMatchObject({ write: 1 });
    await primed;
    // The first request's entry is stored too, after its caller was answered 503.
    expect(await auditedReadsOf(HOME, first)).toBe(1);
  });

  it('a stalled group write (stall injected on purpose) is cut after a request\'s budget: its read answers 503, and the next read\'s entry is written, not queued behind it', async () => {
    const [stalledId, nextId] = (students[HOME] as string[]).slice(1);
    faults.stall = true;
    try {
      const cut = await read(HOME, stalledId as string);
      expect(cut.status, cut.text).toBe(503);
    } finally {
      faults.stall = false;
    }
    const answered = await read(HOME, nextId as string);
    expect(answered.status, answered.text).toBe(200);
  });

  it.each([
    ['a throttled entry: its cause, not the 424 of the rest', 'entry'],
    ['the batch request failing as a whole: the SDK drops its status', 'request'],
  ] as const)('a batch failing in one partition (%s; injected on purpose) fails that partition\'s reads with 503, and the other partition\'s reads are answered 200', async (_case, failure) => {
    const [primer, ...home] = students[HOME] as string[];
    const other = (students[OTHER] as string[]).slice(1);
    faults.close();
    const writesBefore = faults.writes.length;
    const primed = read(HOME, primer as string);
    await until(() => faults.heldCount() === 1, 'the primer\'s audit write');
    const homeReads: Promise<TestResponse>[] = [];
    const otherReads: Promise<TestResponse>[] = [];
    for (const id of home.slice(0, 2)) homeReads.push((await waitingRead(HOME, id)).answer);
    for (const id of other.slice(0, 2)) otherReads.push((await waitingRead(OTHER, id)).answer);
    faults.failBatchesOf = OTHER;
    faults.failure = failure;
    try {
      faults.release(true);
      const [healthy, failed] = await Promise.all([Promise.all(homeReads), Promise.all(otherReads)]);
      expect(faults.writes.slice(writesBefore).map((write) => `${write.municipalityId}:${write.entries}`).sort()).toEqual([`${HOME}:1`, `${HOME}:2`, `${OTHER}:2`]);
      expect(healthy.map((response) => response.status)).toEqual([200, 200]);
      expect(failed.map((response) => response.status)).toEqual([503, 503]);
      for (const response of failed) expect(response.headers.get('retry-after')).toBeTruthy();
    } finally {
      faults.failBatchesOf = undefined;
    }
    expect((await primed).status).toBe(200);
  });
});
