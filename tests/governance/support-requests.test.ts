import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosmosOperations, createStaffUser, registerMunicipality, startTestApp, type SeededUser, type TestApp } from '../support/test-app.js';
import { simulatedClock } from './helpers.js';

const clock = simulatedClock('2031-05-10T09:00:00.000Z');

let test: TestApp;
let operator: string;
let teacher: SeededUser;
let colleague: SeededUser;
let foreignTeacher: SeededUser;
let stranger: string;
let requestId: string;

const open = (token: string, body: Record<string, unknown> = { subject: 'Får ikke logget inn', message: 'Feilmelding ved innlogging i dag.' }) =>
  test.request('POST', '/support-requests', { token, body });

beforeAll(async () => {
  test = await startTestApp({ clock });
  operator = await test.operatorToken();
  await registerMunicipality(test, '0301', 'Oslo');
  await registerMunicipality(test, '4601', 'Bergen');
  teacher = await createStaffUser(test, '0301', ['teacher']);
  colleague = await createStaffUser(test, '0301', ['teacher', 'school-admin']);
  foreignTeacher = await createStaffUser(test, '4601', ['teacher']);
  stranger = await test.token('feide-user-not-yet-registered');
});
afterAll(() => test.close());

describe('support requests (P8)', () => {
  it('a signed-in user opens a request; the first message starts the thread', async () => {
    const response = await open(teacher.token);
    expect(response.status).toBe(201);
    requestId = response.body.id;
    expect(response.headers.get('location')).toBe(`/api/support-requests/${requestId}`);
    expect(response.body).toMatchObject({
      subject: 'Får ikke logget inn',
      municipalityId: '0301',
      messages: [{ author: 'requester', text: 'Feilmelding ved innlogging i dag.' }],
    });
    expect((await test.request('POST', '/support-requests', { body: { subject: 'x', message: 'y' } })).status).toBe(401);
  });

  it('the requester lists and reads their own requests with one query or one point read', async () => {
    const list = await test.request('GET', '/support-requests', { token: teacher.token });
    expect(list.body).toEqual({ items: [{ id: requestId, subject: 'Får ikke logget inn', createdAt: expect.any(String) }], continuationToken: null });
    expect(cosmosOperations(list)).toMatchObject({ 'partition-query': 1, 'cross-partition-query': 0 });
    const read = await test.request('GET', `/support-requests/${requestId}`, { token: teacher.token });
    expect(read.status).toBe(200);
    expect(cosmosOperations(read)).toMatchObject({ 'point-read': 1, 'partition-query': 0, 'cross-partition-query': 0 });
  });

  it("nobody else sees or writes to another person's request: 404, same municipality or not", async () => {
    for (const token of [colleague.token, foreignTeacher.token, stranger]) {
      expect((await test.request('GET', `/support-requests/${requestId}`, { token })).status).toBe(404);
      const write = await test.request('POST', `/support-requests/${requestId}/messages`, { token, body: { text: 'hei' } });
      expect(write.status).toBe(404);
      expect(write.text).not.toContain('logget inn');
      expect((await test.request('GET', '/support-requests', { token })).body.items).toEqual([]);
    }
  });

  it('an identity not yet registered can ask for help too', async () => {
    const response = await open(stranger, { subject: 'Ny bruker', message: 'Jeg mangler tilgang.' });
    expect(response.status).toBe(201);
    expect(response.body.municipalityId).toBeNull();
    const mine = await test.request('GET', '/support-requests', { token: stranger });
    expect(mine.body.items.map((item: { id: string }) => item.id)).toEqual([response.body.id]);
  });

  it("operators see every request of the month and answer in the thread; the requester sees the answer", async () => {
    const inbox = await test.request('GET', '/support-requests', { token: operator });
    expect(inbox.status).toBe(200);
    expect(inbox.body.items.map((item: { subject: string }) => item.subject).sort()).toEqual(['Får ikke logget inn', 'Ny bruker']);
    expect(inbox.body.items[0]).toMatchObject({ lastAuthor: 'requester', updatedAt: expect.any(String) });
    expect(cosmosOperations(inbox)).toMatchObject({ 'partition-query': 1, 'cross-partition-query': 0 });
    expect((await test.request('GET', '/support-requests?month=2031-05', { token: operator })).body.items).toHaveLength(2);
    expect((await test.request('GET', '/support-requests?month=2031-04', { token: operator })).body.items).toEqual([]);

    const answer = await test.request('POST', `/support-requests/${requestId}/messages`, { token: operator, body: { text: 'Prøv igjen nå.' } });
    expect(answer.status).toBe(201);
    const reply = await test.request('POST', `/support-requests/${requestId}/messages`, { token: teacher.token, body: { text: 'Det virker, takk!' } });
    expect(reply.body.messages.map((message: { author: string }) => message.author)).toEqual(['requester', 'operator', 'requester']);
    const thread = await test.request('GET', `/support-requests/${requestId}`, { token: operator });
    expect(thread.body.messages.map((message: { text: string }) => message.text)).toEqual([
      'Feilmelding ved innlogging i dag.',
      'Prøv igjen nå.',
      'Det virker, takk!',
    ]);
  });

  it('concurrent messages are all kept', async () => {
    const writes = await Promise.all(
      ['a', 'b', 'c', 'd'].map((text, index) =>
        test.request('POST', `/support-requests/${requestId}/messages`, { token: index % 2 ? operator : teacher.token, body: { text } }),
      ),
    );
    expect(writes.map((write) => write.status)).toEqual([201, 201, 201, 201]);
    const thread = await test.request('GET', `/support-requests/${requestId}`, { token: teacher.token });
    expect(thread.body.messages.map((message: { text: string }) => message.text).slice(3).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('operators reach support, never tenant records', async () => {
    expect((await test.request('GET', '/municipalities/0301/students', { token: operator })).status).toBe(404);
    expect((await test.request('GET', '/municipalities/0301/users', { token: operator })).status).toBe(404);
  });

  it('bad input: 400 problems naming the field; unknown ids 404; month is for operators only', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ message: 'x' }, 'body/subject'],
      [{ subject: 'x', message: '' }, 'body/message'],
      [{ subject: 'x', message: 'y', priority: 'urgent' }, 'body'],
      [{ subject: 'x'.repeat(201), message: 'y' }, 'body/subject'],
    ];
    for (const [body, field] of cases) {
      const response = await open(teacher.token, body);
      expect(response.status).toBe(400);
      expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    }
    const text = await test.request('POST', `/support-requests/${requestId}/messages`, { token: teacher.token, body: { text: 'x'.repeat(5001) } });
    expect(text.status).toBe(400);
    expect((await test.request('GET', '/support-requests/not-a-uuid', { token: teacher.token })).status).toBe(400);
    expect((await test.request('GET', '/support-requests/5f0c3c1e-8a55-4c47-9d55-2a4f1d1e2b3c', { token: operator })).status).toBe(404);
    const month = await test.request('GET', '/support-requests?month=2031-01', { token: teacher.token });
    expect(month.status).toBe(400);
    expect(month.body.errors[0].field).toBe('query/month');
    expect((await test.request('GET', '/support-requests?month=2031-13', { token: operator })).status).toBe(400);
    expect((await test.request('GET', '/support-requests', { token: teacher.token })).body.items).toHaveLength(1);
  });
});
