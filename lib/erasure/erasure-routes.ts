import { z } from 'zod';
import { staffOf, type StaffPrincipal } from '../access/scopes.js';
import { idsOf } from '../audit/audit-actor.js';
import { assertNotOwnErasure } from '../directory/role-model.js';
import { bulkErasureSchema, erasureSchema, instructionReferenceSchema, type StoredErasure } from './erasure-model.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { pageOf, pagingQuery } from '../paging/continuation.js';
import type { Services } from '../services.js';
import { studentParams, tenantParams, userParams } from '../http/route-params.js';

const DATA_ADMIN = ['data-admin'] as const;

function accepted(erasure: StoredErasure, status: 200 | 202) {
  return {
    status,
    body: erasure,
    headers: { Location: `/api/municipalities/${erasure.municipalityId}/erasures/${erasure.id}` },
  };
}

/**
 * A repeated instruction for the same person answers with the erasure that covered them:
 * 200 once it completed; an unfinished one is resumed (202).
 */
type ErasureServices = Pick<Services, 'erasures' | 'erasureRunner' | 'users'>;

/** Staff are erased on another data admin's instruction, and never the municipality's last data admin. */
async function assertMayEraseUsers(services: Pick<Services, 'users'>, staff: StaffPrincipal, userIds: readonly string[]): Promise<void> {
  assertNotOwnErasure(staff, userIds);
  await services.users.dataAdmins.release(staff.municipalityId, userIds);
}

async function eraseOne(services: ErasureServices, staff: StaffPrincipal, subjectType: 'student' | 'user', subjectId: string, instructionReference: string) {
  if (subjectType === 'user') await assertMayEraseUsers(services, staff, [subjectId]);
  const covering = await services.erasures.findCovering(staff.municipalityId, subjectType, subjectId);
  if (covering?.status === 'completed') return accepted(covering, 200);
  if (covering) {
    const resumed = await services.erasures.resume(covering, subjectId);
    await services.erasureRunner.schedule(resumed.municipalityId, resumed.id);
    return accepted(resumed, 202);
  }
  const erasure = await services.erasures.accept({
    municipalityId: staff.municipalityId,
    subjectType,
    subjectIds: [subjectId],
    instructionReference,
    requestedBy: staff.userId,
  });
  await services.erasureRunner.schedule(erasure.municipalityId, erasure.id);
  return accepted(erasure, 202);
}

const instructionQuery = z.strictObject({ instructionReference: instructionReferenceSchema });

export const erasureRoutes: AnyRoute[] = [
  defineRoute({
    name: 'erase-student',
    method: 'DELETE',
    path: '/municipalities/{municipalityId}/students/{studentId}',
    summary: "Erase a student per the controller's instruction (P3, P16): 202, gone at once, erased in the background",
    description: 'Erases a student per the controller\'s instruction: links to the person are removed and their records anonymised, so they stay for statistics but can never be tied back to them. Accepted at once (202 with Location), carried out to the end in the background; repeating the instruction returns the same erasure.',
    promises: ['P3', 'P16'],
    tag: 'erasure',
    access: { kind: 'roles', roles: DATA_ADMIN },
    params: studentParams,
    query: instructionQuery,
    response: erasureSchema,
    successStatus: 202,
    location: true,
    audit: { action: 'delete', resource: 'erasure', targets: (_request, erasure) => idsOf(erasure) },
    uses: ['erasures', 'erasureRunner', 'users'],
    handler: async ({ params, query, principal }, services) =>
      eraseOne(services, staffOf(principal), 'student', params.studentId, query.instructionReference),
  }),
  defineRoute({
    name: 'erase-user',
    method: 'DELETE',
    path: '/municipalities/{municipalityId}/users/{userId}',
    summary: "Erase a staff user per the controller's instruction (P3, P10, P16)",
    description: 'Erases a staff user per the controller\'s instruction: their account and links go, records they wrote lose their author, and the audit log names them by a keyed pseudonym from then on. Accepted at once (202 with Location).',
    promises: ['P3', 'P16'],
    tag: 'erasure',
    access: { kind: 'roles', roles: DATA_ADMIN },
    params: userParams,
    query: instructionQuery,
    response: erasureSchema,
    successStatus: 202,
    location: true,
    audit: { action: 'delete', resource: 'erasure', targets: (_request, erasure) => idsOf(erasure) },
    uses: ['erasures', 'erasureRunner', 'users'],
    handler: async ({ params, query, principal }, services) =>
      eraseOne(services, staffOf(principal), 'user', params.userId, query.instructionReference),
  }),
  defineRoute({
    name: 'create-erasure',
    method: 'POST',
    path: '/municipalities/{municipalityId}/erasures',
    summary: 'A bulk erasure instruction: listed ids, or leavers who left before a date',
    description: 'A bulk erasure instruction: the listed students, or the leavers who left before a day. Accepted at once (202 with Location) and carried out in the background.',
    promises: ['P3', 'P16'],
    tag: 'erasure',
    access: { kind: 'roles', roles: DATA_ADMIN },
    params: tenantParams,
    body: bulkErasureSchema.meta({
      examples: [{ subjectType: 'student', filter: { status: 'leaver', leftBefore: '2025-07-01' }, instructionReference: '2026/1432-3' }],
    }),
    response: erasureSchema,
    successStatus: 202,
    location: true,
    audit: { action: 'create', resource: 'erasure', targets: (_request, erasure) => idsOf(erasure) },
    uses: ['erasureRunner', 'erasures', 'users'],
    handler: async ({ body, principal }, services) => {
      const staff = staffOf(principal);
      if (body.subjectType === 'user' && body.subjectIds) await assertMayEraseUsers(services, staff, body.subjectIds);
      const erasure = await services.erasures.accept({
        municipalityId: staff.municipalityId,
        subjectType: body.subjectType,
        ...(body.subjectIds ? { subjectIds: body.subjectIds } : {}),
        ...(body.filter ? { filter: body.filter } : {}),
        instructionReference: body.instructionReference,
        requestedBy: staff.userId,
      });
      if (erasure.status !== 'completed') await services.erasureRunner.schedule(erasure.municipalityId, erasure.id);
      return accepted(erasure, 202);
    },
  }),
  defineRoute({
    name: 'list-erasures',
    method: 'GET',
    path: '/municipalities/{municipalityId}/erasures',
    summary: 'Erasure instructions and their status, newest first',
    description: 'Erasure instructions and their progress, newest first.',
    promises: ['P3', 'P16'],
    tag: 'erasure',
    access: { kind: 'roles', roles: DATA_ADMIN },
    params: tenantParams,
    query: z.strictObject(pagingQuery),
    response: pageOf(erasureSchema),
    successStatus: 200,
    uses: ['erasures'],
    handler: async ({ params, query }, services) => ({ status: 200, body: await services.erasures.list(params.municipalityId, query) }),
  }),
  defineRoute({
    name: 'get-erasure',
    method: 'GET',
    path: '/municipalities/{municipalityId}/erasures/{erasureId}',
    summary: 'One erasure: pending, running, completed (verified) or failed, with counts',
    description: 'One erasure\'s progress, deadline and whether it is overdue.',
    promises: ['P3', 'P16'],
    tag: 'erasure',
    access: { kind: 'roles', roles: DATA_ADMIN },
    params: tenantParams.extend({ erasureId: z.uuid() }),
    response: erasureSchema,
    successStatus: 200,
    uses: ['erasures'],
    handler: async ({ params }, services) => ({ status: 200, body: (await services.erasures.get(params.municipalityId, params.erasureId)).value }),
  }),
];
