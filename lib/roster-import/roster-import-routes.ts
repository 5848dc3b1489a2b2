import { z } from 'zod';
import { staffOf } from '../access/scopes.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { tenantParams } from '../http/route-params.js';
import { pageOf, pagingQuery } from '../paging/continuation.js';
import { rosterImportRequestSchema, rosterImportSchema, rosterUploadSchema } from './roster-import-model.js';

/** The directory's admins: a file never grants what they could not grant by hand (docs/role-model.md). */
const IMPORTERS = { kind: 'roles', roles: ['data-admin', 'municipality-admin'] } as const;
const runParams = tenantParams.extend({ runId: z.uuid() });
const location = (municipalityId: string, id: string) => `/api/municipalities/${municipalityId}/roster-imports/${id}`;

export const rosterImportRoutes: AnyRoute[] = [
  defineRoute({
    name: 'create-roster-upload',
    method: 'POST',
    path: '/municipalities/{municipalityId}/roster-uploads',
    summary: 'A short-lived URL to upload one OneRoster 1.2 CSV zip to, straight to Blob Storage',
    description: 'PUT the zip to `uploadUrl` (header `x-ms-blob-type: BlockBlob`) within 15 minutes, then start an import naming `blob`. A zip above `maxBytes` (100 MiB) is refused when the import starts.',
    promises: ['P2'],
    tag: 'roster-import',
    access: IMPORTERS,
    params: tenantParams,
    response: rosterUploadSchema,
    successStatus: 201,
    uses: ['rosterImports'],
    handler: async ({ params }, services) => ({ status: 201, body: await services.rosterImports.issueUpload(params.municipalityId) }),
  }),
  defineRoute({
    name: 'start-roster-import',
    method: 'POST',
    path: '/municipalities/{municipalityId}/roster-imports',
    summary: 'Import an uploaded OneRoster 1.2 zip (bulk or delta), or a dry run that only reports the diff',
    description:
      'Checks the manifest at once (a file that is not OneRoster 1.2 is refused, nothing written), then runs the import in the background: 202 with Location of the run to follow. One import at a time per municipality (409); a run that has shown no progress for 30 minutes is taken over (it ends `superseded`). 503 if the background run could not be started (the run is then `failed`, the lock free).',
    promises: ['P2', 'P16', 'P19'],
    tag: 'roster-import',
    access: IMPORTERS,
    params: tenantParams,
    body: rosterImportRequestSchema,
    response: rosterImportSchema,
    successStatus: 202,
    location: true,
    errorStatuses: [409, 413],
    audit: { action: 'create', resource: 'roster-import', targets: (_request, run) => [run.id] },
    uses: ['rosterImports'],
    handler: async ({ body, principal }, services) => {
      const staff = staffOf(principal);
      const run = await services.rosterImports.start(staff, body);
      return { status: 202, body: run, headers: { Location: location(staff.municipalityId, run.id) } };
    },
  }),
  defineRoute({
    name: 'resume-roster-import',
    method: 'POST',
    path: '/municipalities/{municipalityId}/roster-imports/{runId}/resume',
    summary: 'Resume a failed import where it stopped',
    description:
      'Resumes a failed import from the first batch it did not write; batches already written are not written again. 409 if it is not failed, or a newer import was started since (it then ends `superseded`); 410 if its upload or planned batches are gone (it then ends `expired`): upload again and start a new import.',
    promises: ['P2'],
    tag: 'roster-import',
    access: IMPORTERS,
    params: runParams,
    response: rosterImportSchema,
    successStatus: 202,
    location: true,
    errorStatuses: [409, 410],
    audit: { action: 'update', resource: 'roster-import', targets: (_request, run) => [run.id] },
    uses: ['rosterImports'],
    handler: async ({ params }, services) => {
      const run = await services.rosterImports.resume(params.municipalityId, params.runId);
      return { status: 202, body: run, headers: { Location: location(params.municipalityId, run.id) } };
    },
  }),
  defineRoute({
    name: 'get-roster-import',
    method: 'GET',
    path: '/municipalities/{municipalityId}/roster-imports/{runId}',
    summary: 'Progress and result of an import: per file rows read, created, updated, unchanged, leavers, closed, rejected; the rejected rows and the diff',
    description: 'Progress and result of one import, per file of the roster. Rejected rows name the file, line, column and reason, never the value.',
    promises: ['P2'],
    tag: 'roster-import',
    access: IMPORTERS,
    params: runParams,
    response: rosterImportSchema,
    successStatus: 200,
    uses: ['rosterImports'],
    handler: async ({ params }, services) => ({ status: 200, body: await services.rosterImports.get(params.municipalityId, params.runId) }),
  }),
  defineRoute({
    name: 'list-roster-imports',
    method: 'GET',
    path: '/municipalities/{municipalityId}/roster-imports',
    summary: 'Imports of the municipality, newest first',
    description: 'Roster imports of the municipality, newest first, a page at a time.',
    promises: ['P2'],
    tag: 'roster-import',
    access: IMPORTERS,
    params: tenantParams,
    query: z.strictObject(pagingQuery),
    response: pageOf(rosterImportSchema),
    successStatus: 200,
    uses: ['rosterImports'],
    handler: async ({ params, query }, services) => ({ status: 200, body: await services.rosterImports.list(params.municipalityId, query) }),
  }),
];
