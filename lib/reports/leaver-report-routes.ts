import { z } from 'zod';
import { staffOf } from '../access/scopes.js';
import { idsOf } from '../audit/audit-actor.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { pageOf, pagingQuery } from '../paging/continuation.js';
import {
  generationRequestSchema,
  generationRunSchema,
  leaverReportSchema,
  REPORT_FORMATS,
  schoolYearSchema,
} from './leaver-report-model.js';
import { tenantParams } from '../http/route-params.js';

/** School admins and up; the student's visibility (P5) narrows what each of them sees. */
const READERS = ['school-admin', 'municipality-admin', 'data-admin'] as const;
const access = { kind: 'roles', roles: READERS } as const;
const base = '/municipalities/{municipalityId}/leaver-reports';
const reportParams = tenantParams.extend({ reportId: z.uuid() });
const runParams = tenantParams.extend({ runId: z.uuid() });

export const leaverReportRoutes: AnyRoute[] = [
  defineRoute({
    name: 'create-leaver-reports',
    method: 'POST',
    path: base,
    summary: "Generate leaver reports (PDF and JSON) for the named leavers of a school, or all of them; answers a run to follow",
    description: 'Produces a leaver report (avgangsrapport: the student\'s grades, evaluations and screening results) as PDF and JSON for each leaver of a school year, in the background. Answers 202 with Location of the run.',
    promises: ['P4'],
    tag: 'leaver-reports',
    access,
    params: tenantParams,
    body: generationRequestSchema,
    response: generationRunSchema,
    successStatus: 202,
    location: true,
    audit: { action: 'create', resource: 'leaver-report-run', targets: ({ body }, run) => [...idsOf(run), ...(body.studentIds ?? [])] },
    uses: ['leaverReports'],
    handler: async ({ params, body, principal }, services) => {
      const run = await services.leaverReports.service.requestGeneration(staffOf(principal), params.municipalityId, body);
      return { status: 202, body: run, headers: { Location: `/api/municipalities/${params.municipalityId}/leaver-report-runs/${run.id}` } };
    },
  }),
  defineRoute({
    name: 'get-leaver-report-run',
    method: 'GET',
    path: '/municipalities/{municipalityId}/leaver-report-runs/{runId}',
    summary: 'Progress of a leaver report run: status, reports generated, students skipped or failed',
    description: 'Progress and warnings of a leaver-report run.',
    promises: ['P4'],
    tag: 'leaver-reports',
    access,
    params: runParams,
    response: generationRunSchema,
    successStatus: 200,
    audit: { action: 'read', resource: 'leaver-report-run', targets: ({ params }) => [params.runId] },
    uses: ['leaverReports'],
    handler: async ({ params, principal }, services) => ({
      status: 200,
      body: await services.leaverReports.service.getRun(staffOf(principal), params.municipalityId, params.runId),
    }),
  }),
  defineRoute({
    name: 'list-leaver-reports',
    method: 'GET',
    path: base,
    summary: 'Leaver reports the caller may see, newest first, by school, school year or run',
    description: 'Leaver reports the caller may see, newest first, by school, school year or run.',
    promises: ['P4', 'P5'],
    tag: 'leaver-reports',
    access,
    params: tenantParams,
    query: z.strictObject({ ...pagingQuery, schoolId: z.uuid().optional(), schoolYear: schoolYearSchema.optional(), runId: z.uuid().optional() }),
    response: pageOf(leaverReportSchema),
    successStatus: 200,
    audit: { action: 'list', resource: 'leaver-report', targets: (_request, page) => page.items.flatMap((report) => [report.id, report.studentId]) },
    uses: ['leaverReports'],
    handler: async ({ params, query, principal }, services) => {
      const { limit, continuationToken, ...filter } = query;
      return { status: 200, body: await services.leaverReports.service.list(staffOf(principal), params.municipalityId, filter, { limit, continuationToken }) };
    },
  }),
  defineRoute({
    name: 'get-leaver-report',
    method: 'GET',
    path: `${base}/{reportId}`,
    summary: "One leaver report's metadata: formats, sizes and when it is removed",
    description: 'One leaver report\'s metadata: formats, sizes and when it is removed (at most 12 months after it was made).',
    promises: ['P4', 'P5'],
    tag: 'leaver-reports',
    access,
    params: reportParams,
    response: leaverReportSchema,
    successStatus: 200,
    audit: { action: 'read', resource: 'leaver-report', targets: (_request, report) => [report.id, report.studentId] },
    uses: ['leaverReports'],
    handler: async ({ params, principal }, services) => ({
      status: 200,
      body: await services.leaverReports.service.get(staffOf(principal), params.municipalityId, params.reportId),
    }),
  }),
  defineRoute({
    name: 'get-leaver-report-document',
    method: 'GET',
    path: `${base}/{reportId}/document`,
    summary: 'The report itself, as PDF (default) or JSON (`?format=json`), through the API with authorisation',
    description: 'The report itself, as PDF (default) or as JSON with `?format=json`, streamed through the API with the same authorisation, as an attachment.',
    promises: ['P4', 'P5'],
    tag: 'leaver-reports',
    access,
    params: reportParams,
    query: z.strictObject({ format: z.enum(REPORT_FORMATS).default('pdf') }),
    rawContentType: 'application/pdf',
    successStatus: 200,
    download: { formats: { pdf: 'application/pdf', json: 'application/json' } },
    audit: { action: 'read', resource: 'leaver-report-document' },
    uses: ['leaverReports'],
    handler: async ({ params, query, principal }, services) => {
      const document = await services.leaverReports.service.document(staffOf(principal), params.municipalityId, params.reportId, query.format);
      return {
        status: 200,
        raw: document.content,
        contentType: document.contentType,
        headers: { 'Content-Disposition': `attachment; filename="${document.fileName}"` },
        auditTargets: [params.reportId, document.studentId],
      };
    },
  }),
];
