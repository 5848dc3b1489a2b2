import { z } from 'zod';
import { staffOf } from '../access/scopes.js';
import { idsOf } from '../audit/audit-actor.js';
import { exportRequestSchema, exportSchema } from './export-model.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { pageOf, pagingQuery } from '../paging/continuation.js';
import { tenantParams } from '../http/route-params.js';

const DATA_ADMIN = { kind: 'roles', roles: ['data-admin'] } as const;
const exportParams = tenantParams.extend({ exportId: z.uuid() });

export const exportRoutes: AnyRoute[] = [
  defineRoute({
    name: 'create-export',
    method: 'POST',
    path: '/municipalities/{municipalityId}/exports',
    summary: "Export everything stored about a student or staff user as JSON or CSV (P14); a third party needs a registered disclosure (P13)",
    description: 'Exports everything kept about a student or staff user as JSON or CSV, collected from every module that keeps personal data; produced in the background. For a third party it needs a registered disclosure (422 otherwise). Answers 201 with Location.',
    promises: ['P14', 'P13'],
    tag: 'exports',
    access: DATA_ADMIN,
    params: tenantParams,
    body: exportRequestSchema,
    response: exportSchema,
    successStatus: 201,
    location: true,
    errorStatuses: [422],
    audit: { action: 'create', resource: 'export', targets: (_request, created) => [...idsOf(created), created.subjectId] },
    uses: ['exports'],
    handler: async ({ body, principal }, services) => {
      const staff = staffOf(principal);
      const created = await services.exports.request(staff, body);
      return {
        status: 201,
        body: created,
        headers: { Location: `/api/municipalities/${staff.municipalityId}/exports/${created.id}` },
      };
    },
  }),
  defineRoute({
    name: 'list-exports',
    method: 'GET',
    path: '/municipalities/{municipalityId}/exports',
    summary: 'Exports of the last 7 days and expired ones, newest first',
    description: 'Exports of the last 7 days and expired ones, newest first.',
    promises: ['P14'],
    tag: 'exports',
    access: DATA_ADMIN,
    params: tenantParams,
    query: z.strictObject(pagingQuery),
    response: pageOf(exportSchema),
    successStatus: 200,
    uses: ['exports'],
    handler: async ({ params, query }, services) => ({ status: 200, body: await services.exports.list(params.municipalityId, query) }),
  }),
  defineRoute({
    name: 'get-export',
    method: 'GET',
    path: '/municipalities/{municipalityId}/exports/{exportId}',
    summary: 'Status of an export and, while it is ready, where to download it',
    description: 'Status of an export and, while it is ready, where to download it.',
    promises: ['P14'],
    tag: 'exports',
    access: DATA_ADMIN,
    params: exportParams,
    response: exportSchema,
    successStatus: 200,
    uses: ['exports'],
    handler: async ({ params }, services) => ({ status: 200, body: await services.exports.get(params.municipalityId, params.exportId) }),
  }),
  defineRoute({
    name: 'download-export',
    method: 'GET',
    path: '/municipalities/{municipalityId}/exports/{exportId}/download',
    summary: 'The export file, streamed through the API with the same authorisation; 410 once expired',
    description: 'The export file as an attachment, through the API with the same authorisation; 409 while it is not ready, 410 once expired.',
    promises: ['P14'],
    tag: 'exports',
    access: DATA_ADMIN,
    params: exportParams,
    rawContentType: 'application/octet-stream',
    successStatus: 200,
    download: {},
    errorStatuses: [409, 410],
    audit: { action: 'read', resource: 'export' },
    uses: ['exports'],
    handler: async ({ params }, services) => {
      const { record, file } = await services.exports.download(params.municipalityId, params.exportId);
      return {
        status: 200,
        raw: file.content,
        contentType: file.contentType,
        headers: { 'Content-Disposition': `attachment; filename="${file.fileName}"` },
        auditTargets: [record.id, record.subjectId],
      };
    },
  }),
];
