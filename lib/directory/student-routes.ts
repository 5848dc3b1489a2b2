import { z } from 'zod';
import { inScope, managementScope, staffOf } from '../access/scopes.js';
import { idsOf } from '../audit/audit-actor.js';
import { studentInputSchema, studentPatchSchema, studentSchema } from './students.js';
import { etagHeader, ifMatchOf } from '../http/etag.js';
import { problems } from '../http/problem.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { TENANT_ROLES } from '../identity/principal.js';
import { pageOf, pagingQuery } from '../paging/continuation.js';
import { studentParams, tenantParams } from '../http/route-params.js';

const MANAGERS = ['municipality-admin', 'school-admin'] as const;

function assertManagesSchool(scope: ReturnType<typeof managementScope>, schoolId: string): void {
  if (!inScope(scope, { schoolIds: [schoolId] })) {
    throw problems.validation([{ field: 'body/schoolId', message: 'refers to a school you do not manage' }]);
  }
}

export const studentRoutes: AnyRoute[] = [
  defineRoute({
    name: 'list-students',
    method: 'GET',
    path: '/municipalities/{municipalityId}/students',
    summary: "Students the caller may see under the controller's visibility setting",
    description: 'Students (elever) the caller may see under the controller\'s visibility setting, a page at a time, by school or status.',
    promises: ['P2', 'P5'],
    tag: 'students',
    access: { kind: 'roles', roles: TENANT_ROLES },
    params: tenantParams,
    query: z.strictObject({ ...pagingQuery, schoolId: z.uuid().optional(), status: z.enum(['active', 'leaver']).optional() }),
    response: pageOf(studentSchema),
    successStatus: 200,
    audit: { action: 'list', resource: 'student', targets: (_request, page) => idsOf(page) },
    uses: ['studentGate', 'students'],
    handler: async ({ params, query, principal }, services) => {
      const staff = staffOf(principal);
      const scope = await services.studentGate.readScope(staff);
      const page = await services.students.list(params.municipalityId, scope, query, query);
      return { status: 200, body: page };
    },
  }),
  defineRoute({
    name: 'create-student',
    method: 'POST',
    path: '/municipalities/{municipalityId}/students',
    summary: 'Register a student at a school the caller manages',
    description: 'Registers a student at a school the caller manages. Answers 201 with Location and ETag.',
    promises: ['P2'],
    tag: 'students',
    access: { kind: 'roles', roles: MANAGERS },
    params: tenantParams,
    body: studentInputSchema,
    response: studentSchema,
    successStatus: 201,
    location: true,
    audit: { action: 'create', resource: 'student', targets: (_request, student) => idsOf(student) },
    uses: ['schools', 'students'],
    handler: async ({ params, body, principal }, services) => {
      const staff = staffOf(principal);
      assertManagesSchool(managementScope(staff), body.schoolId);
      await services.schools.assertExist(params.municipalityId, [body.schoolId]);
      const student = await services.students.create(params.municipalityId, body);
      return {
        status: 201,
        body: student.value,
        headers: { ...etagHeader(student.etag), Location: `/api/municipalities/${params.municipalityId}/students/${student.value.id}` },
      };
    },
  }),
  defineRoute({
    name: 'get-student',
    method: 'GET',
    path: '/municipalities/{municipalityId}/students/{studentId}',
    summary: 'One student, if the caller may see them',
    description: 'One student, with its ETag, if the caller may see them.',
    promises: ['P2', 'P5'],
    tag: 'students',
    access: { kind: 'roles', roles: TENANT_ROLES },
    params: studentParams,
    response: studentSchema,
    successStatus: 200,
    audit: { action: 'read', resource: 'student', targets: ({ params }) => [params.studentId], attempts: true },
    uses: ['studentGate'],
    handler: async ({ params, principal }, services) => {
      const staff = staffOf(principal);
      const student = await services.studentGate.readable(staff, params.studentId);
      return { status: 200, body: student.value, headers: etagHeader(student.etag) };
    },
  }),
  defineRoute({
    name: 'update-student',
    method: 'PATCH',
    path: '/municipalities/{municipalityId}/students/{studentId}',
    summary: 'Change a student (JSON merge patch); needs If-Match',
    description: 'Changes a student (JSON merge patch): name, year level (trinn), school, or marks them a leaver with `leftAt`. Needs If-Match.',
    promises: ['P2'],
    tag: 'students',
    access: { kind: 'roles', roles: MANAGERS },
    params: studentParams,
    body: studentPatchSchema,
    response: studentSchema,
    successStatus: 200,
    requiresIfMatch: true,
    errorStatuses: [409],
    audit: { action: 'update', resource: 'student', targets: ({ params }) => [params.studentId] },
    uses: ['schools', 'studentGate', 'students'],
    handler: async ({ params, body, headers, principal }, services) => {
      const staff = staffOf(principal);
      const current = await services.studentGate.manageable(staff, params.studentId);
      if (body.schoolId !== undefined && body.schoolId !== current.value.schoolId) {
        assertManagesSchool(managementScope(staff), body.schoolId);
        await services.schools.assertExist(params.municipalityId, [body.schoolId]);
      }
      const student = await services.students.update(params.municipalityId, current, body, ifMatchOf(headers));
      return { status: 200, body: student.value, headers: etagHeader(student.etag) };
    },
  }),
];
