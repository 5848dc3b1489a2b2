import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Call } from './typed-client.js';

/** What the flow needs from its host: tokens of the development issuer. */
export interface FlowHost {
  issuer: string;
  operatorToken(): Promise<string>;
  token(subject: string): Promise<string>;
}

/** The typed result narrowed to the status the flow expects; fails with the problem otherwise. */
function expectStatus<R extends { status: unknown; body: unknown }, const S extends R['status']>(result: R, status: S): Extract<R, { status: S }> {
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  return result as Extract<R, { status: S }>;
}

/**
 * One school's flow as a frontend would write it with nothing but the generated types: a
 * municipality and its first admin, a school, a teacher, a student, a group, a grade read with
 * its ETag and corrected with If-Match (and refused with a stale one), and an export.
 */
export async function schoolFlow(call: Call, host: FlowHost, municipalityId: string): Promise<void> {
  const operator = await host.operatorToken();

  const municipality = expectStatus(await call('post', '/api/municipalities', { token: operator, body: { id: municipalityId, name: 'Flytkommune' } }), 201);
  expect(municipality.headers.get('location')).toBe(`/api/municipalities/${municipalityId}`);

  const adminSubject = `flow-admin-${randomUUID()}`;
  expectStatus(await call('post', '/api/municipalities/{municipalityId}/users', {
    token: operator,
    path: { municipalityId },
    body: { name: 'Kari Admin', email: 'kari.admin@example.no', roles: ['municipality-admin', 'data-admin'], schoolIds: [], identity: { issuer: host.issuer, subject: adminSubject } },
  }), 201);
  const adminToken = await host.token(adminSubject);

  const school = expectStatus(await call('post', '/api/municipalities/{municipalityId}/schools', {
    token: adminToken,
    path: { municipalityId },
    body: { name: 'Åsane skole', organisationNumber: '974600951' },
  }), 201);
  expect(school.headers.get('location')).toBe(`/api/municipalities/${municipalityId}/schools/${school.body.id}`);
  const schoolId = school.body.id;

  const teacherSubject = `flow-teacher-${randomUUID()}`;
  const teacher = expectStatus(await call('post', '/api/municipalities/{municipalityId}/users', {
    token: adminToken,
    path: { municipalityId },
    body: { name: 'Ola Lærer', email: 'ola.laerer@example.no', roles: ['teacher'], schoolIds: [schoolId], identity: { issuer: host.issuer, subject: teacherSubject } },
  }), 201);
  const teacherToken = await host.token(teacherSubject);

  const student = expectStatus(await call('post', '/api/municipalities/{municipalityId}/students', {
    token: adminToken,
    path: { municipalityId },
    body: { givenName: 'Ingrid', familyName: 'Haugen', birthDate: '2011-03-14', schoolId, yearLevel: 10 },
  }), 201);
  const studentId = student.body.id;

  const group = expectStatus(await call('post', '/api/municipalities/{municipalityId}/groups', {
    token: adminToken,
    path: { municipalityId },
    body: { name: '10A', schoolId, teacherIds: [teacher.body.id], studentIds: [studentId] },
  }), 201);
  expect(group.body.studentIds).toEqual([studentId]);

  const grade = expectStatus(await call('post', '/api/municipalities/{municipalityId}/students/{studentId}/grades', {
    token: teacherToken,
    path: { municipalityId, studentId },
    body: { subjectCode: 'NOR0214', grade: '4', term: 'spring', schoolYear: '2025-2026', kind: 'standpunkt' },
  }), 201);
  const recordId = grade.body.id;

  const read = expectStatus(await call('get', '/api/municipalities/{municipalityId}/students/{studentId}/grades/{recordId}', {
    token: teacherToken,
    path: { municipalityId, studentId, recordId },
  }), 200);
  expect(read.body.grade).toBe('4');
  const etag = read.headers.get('etag');
  expect(etag).toMatch(/^".+"$/);
  expect(read.headers.get('x-request-id')).toBeTruthy();

  const corrected = expectStatus(await call('patch', '/api/municipalities/{municipalityId}/students/{studentId}/grades/{recordId}', {
    token: teacherToken,
    path: { municipalityId, studentId, recordId },
    headers: { 'If-Match': etag! },
    body: { grade: '5' },
  }), 200);
  expect(corrected.body.grade).toBe('5');
  expect(corrected.headers.get('etag')).not.toBe(etag);

  const stale = expectStatus(await call('patch', '/api/municipalities/{municipalityId}/students/{studentId}/grades/{recordId}', {
    token: teacherToken,
    path: { municipalityId, studentId, recordId },
    headers: { 'If-Match': etag! },
    body: { grade: '6' },
  }), 412);
  expect(stale.body.type).toBe('urn:engage:problem:precondition-failed');

  const exported = expectStatus(await call('post', '/api/municipalities/{municipalityId}/exports', {
    token: adminToken,
    path: { municipalityId },
    body: { subjectType: 'student', subjectId: studentId, format: 'json', recipient: 'controller' },
  }), 201);
  expect(exported.body.status).toBe('ready');
  expect(exported.headers.get('location')).toBe(`/api/municipalities/${municipalityId}/exports/${exported.body.id}`);

  const download = expectStatus(await call('get', '/api/municipalities/{municipalityId}/exports/{exportId}/download', {
    token: adminToken,
    path: { municipalityId, exportId: exported.body.id },
  }), 200);
  expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename=".+"$/);
  expect(JSON.stringify(download.body)).toContain('"5"');
}
