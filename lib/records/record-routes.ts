import { z } from 'zod';
import { staffOf } from '../access/scopes.js';
import { idsOf } from '../audit/audit-actor.js';
import { etagHeader, ifMatchOf } from '../http/etag.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { TENANT_ROLES } from '../identity/principal.js';
import { pageOf, pagingQuery } from '../paging/continuation.js';
import { inputSchemaOf, patchSchemaOf, RECORD_KIND_NAMES, RECORD_KINDS, recordSchemaOf, type RecordKind } from './record-kinds.js';
import { recordParams, studentParams } from '../http/route-params.js';

const WRITERS = ['teacher'] as const;

/** How the documentation names each kind, in English with the Norwegian word. */
const RECORD_TEXTS: Record<RecordKind, { one: string; what: string; norwegian: string }> = {
  assessment: { one: 'an assessment', what: 'Screening tests (kartlegginger)', norwegian: 'kartlegging: the result of a screening test' },
  evaluation: { one: 'an evaluation', what: 'Written evaluations (vurderinger)', norwegian: 'vurdering: a written evaluation in a subject' },
  grade: { one: 'a grade', what: 'Grades (karakterer)', norwegian: 'karakter: a standpunkt or exam grade in a subject' },
};

/** The four routes of one record kind; reading follows student visibility, writing is for teachers. */
function recordRoutes(kind: RecordKind): AnyRoute[] {
  const { path } = RECORD_KINDS[kind];
  const base = `/municipalities/{municipalityId}/students/{studentId}/${path}`;
  // Widened: the record's fields differ by kind; the schema still strips and checks every response at run time.
  const schema: z.ZodType = recordSchemaOf(kind);
  return [
    defineRoute({
      name: `list-${path}`,
      method: 'GET',
      path: base,
      summary: `The ${path} of a student the caller may see`,
      description: `${RECORD_TEXTS[kind].what} of one student, newest first, a page at a time. Teachers see the students their municipality's visibility setting (P5) lets them see; admins by their role.`,
      promises: ['P2', 'P5'],
      tag: 'records',
      access: { kind: 'roles', roles: TENANT_ROLES },
      params: studentParams,
      query: z.strictObject(pagingQuery),
      response: pageOf(schema),
      successStatus: 200,
      audit: { action: 'list', resource: kind, targets: ({ params }, page) => [params.studentId, ...idsOf(page)] },
      uses: ['records', 'studentGate'],
      handler: async ({ params, query, principal }, services) => {
        const staff = staffOf(principal);
        await services.studentGate.readable(staff, params.studentId);
        const page = await services.records.list(kind, params.municipalityId, params.studentId, query);
        return { status: 200, body: page };
      },
    }),
    defineRoute({
      name: `create-${kind}`,
      method: 'POST',
      path: base,
      summary: `Record a new ${kind} for a student the teacher may see`,
      description: `Records ${RECORD_TEXTS[kind].one} for a student the teacher may see. Answers 201 with Location and ETag.`,
      promises: ['P2'],
      tag: 'records',
      access: { kind: 'roles', roles: WRITERS },
      params: studentParams,
      body: inputSchemaOf(kind),
      response: schema,
      successStatus: 201,
      location: true,
      audit: { action: 'create', resource: kind, targets: ({ params }, record) => [params.studentId, ...idsOf(record)] },
      uses: ['records', 'studentGate'],
      handler: async ({ params, body, principal }, services) => {
        const staff = staffOf(principal);
        const student = await services.studentGate.recordWritable(staff, params.studentId);
        const record = await services.records.create(kind, student.value, staff.userId, body);
        return {
          status: 201,
          body: record.value,
          headers: { ...etagHeader(record.etag), Location: `/api${base.replace('{municipalityId}', params.municipalityId).replace('{studentId}', params.studentId)}/${record.value.id}` },
        };
      },
    }),
    defineRoute({
      name: `get-${kind}`,
      method: 'GET',
      path: `${base}/{recordId}`,
      summary: `One ${kind}`,
      description: `One ${kind} (${RECORD_TEXTS[kind].norwegian}), with the ETag a correction needs.`,
      promises: ['P2', 'P5'],
      tag: 'records',
      access: { kind: 'roles', roles: TENANT_ROLES },
      params: recordParams,
      response: schema,
      successStatus: 200,
      audit: { action: 'read', resource: kind, targets: ({ params }) => [params.studentId, params.recordId], attempts: true },
      uses: ['records', 'studentGate'],
      handler: async ({ params, principal }, services) => {
        const staff = staffOf(principal);
        await services.studentGate.readable(staff, params.studentId);
        const record = await services.records.get(kind, params.municipalityId, params.studentId, params.recordId);
        return { status: 200, body: record.value, headers: etagHeader(record.etag) };
      },
    }),
    defineRoute({
      name: `update-${kind}`,
      method: 'PATCH',
      path: `${base}/{recordId}`,
      summary: `Correct ${RECORD_TEXTS[kind].one} (JSON merge patch); needs If-Match`,
      description: `Corrects ${RECORD_TEXTS[kind].one} with a JSON merge patch: send only the fields that change, with the ETag of your read as If-Match (412 if someone changed it since). The author stays the teacher who recorded it.`,
      promises: ['P2'],
      tag: 'records',
      access: { kind: 'roles', roles: WRITERS },
      params: recordParams,
      body: patchSchemaOf(kind),
      response: schema,
      successStatus: 200,
      requiresIfMatch: true,
      audit: { action: 'update', resource: kind, targets: ({ params }) => [params.studentId, params.recordId] },
      uses: ['records', 'studentGate'],
      handler: async ({ params, body, headers, principal }, services) => {
        const staff = staffOf(principal);
        await services.studentGate.recordWritable(staff, params.studentId);
        const current = await services.records.get(kind, params.municipalityId, params.studentId, params.recordId);
        const record = await services.records.update(kind, current, body, ifMatchOf(headers));
        return { status: 200, body: record.value, headers: etagHeader(record.etag) };
      },
    }),
  ];
}

export const studentRecordRoutes: AnyRoute[] = RECORD_KIND_NAMES.flatMap(recordRoutes);
