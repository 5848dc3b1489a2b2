import { z } from 'zod';
import { inScope, managementScope, staffOf } from '../access/scopes.js';
import { auditEvent } from '../audit/audit-log.js';
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
    tag: 'students',
    access: { kind: 'roles', roles: TENANT_ROLES },
    params: tenantParams,
    query: z.strictObject({ ...pagingQuery, schoolId: z.uuid().optional(), status: z.enum(['active', 'leaver']).optional() }),
    response: pageOf(studentSchema),
    successStatus: 200,
    uses: ['audit', 'studentGate', 'students'],
    handler: async ({ params, query, principal }, services) => {
      const staff = staffOf(principal);
      const scope = await services.studentGate.readScope(staff);
      const page = await services.students.list(params.municipalityId, scope, query, query);
      if (page.items.length > 0) {
        await services.audit.record(auditEvent(staff, 'list', 'student', page.items.map((student) => student.id)));
      }
      return { status: 200, body: page };
    },
  }),
  defineRoute({
    name: 'create-student',
    method: 'POST',
    path: '/municipalities/{municipalityId}/students',
    summary: 'Register a student at a school the caller manages',
    tag: 'students',
    access: { kind: 'roles', roles: MANAGERS },
    params: tenantParams,
    body: studentInputSchema,
    response: studentSchema,
    successStatus: 201,
    uses: ['audit', 'schools', 'students'],
    handler: async ({ params, body, principal }, services) => {
      const staff = staffOf(principal);
      assertManagesSchool(managementScope(staff), body.schoolId);
      await services.schools.assertExist(params.municipalityId, [body.schoolId]);
      const student = await services.students.create(params.municipalityId, body);
      await services.audit.record(auditEvent(staff, 'create', 'student', [student.value.id]));
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
    tag: 'students',
    access: { kind: 'roles', roles: TENANT_ROLES },
    params: studentParams,
    response: studentSchema,
    successStatus: 200,
    uses: ['audit', 'studentGate'],
    handler: async ({ params, principal }, services) => {
      const staff = staffOf(principal);
      const student = await services.studentGate.readable(staff, params.studentId);
      await services.audit.record(auditEvent(staff, 'read', 'student', [params.studentId]));
      return { status: 200, body: student.value, headers: etagHeader(student.etag) };
    },
  }),
  defineRoute({
    name: 'update-student',
    method: 'PATCH',
    path: '/municipalities/{municipalityId}/students/{studentId}',
    summary: 'Change a student (JSON merge patch); needs If-Match',
    tag: 'students',
    access: { kind: 'roles', roles: MANAGERS },
    params: studentParams,
    body: studentPatchSchema,
    response: studentSchema,
    successStatus: 200,
    requiresIfMatch: true,
    errorStatuses: [409],
    uses: ['audit', 'schools', 'studentGate', 'students'],
    handler: async ({ params, body, headers, principal }, services) => {
      const staff = staffOf(principal);
      const current = await services.studentGate.manageable(staff, params.studentId);
      if (body.schoolId !== undefined && body.schoolId !== current.value.schoolId) {
        assertManagesSchool(managementScope(staff), body.schoolId);
        await services.schools.assertExist(params.municipalityId, [body.schoolId]);
      }
      const student = await services.students.update(params.municipalityId, current, body, ifMatchOf(headers));
      await services.audit.record(auditEvent(staff, 'update', 'student', [params.studentId]));
      return { status: 200, body: student.value, headers: etagHeader(student.etag) };
    },
  }),
];
