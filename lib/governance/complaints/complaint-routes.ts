import { z } from 'zod';
import {
  complaintInputSchema,
  complaintListQuerySchema,
  complaintPatchSchema,
  complaintReceiptSchema,
  complaintSchema,
  complaintSummarySchema,
} from './complaint-register.js';
import { etagHeader, ifMatchOf } from '../../http/etag.js';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import { pageOf } from '../../paging/continuation.js';
import { defineRateLimit } from '../../rate-limit/rate-limit-policy.js';

/** Anyone may complain (P17), so the intake is limited per client address, and in all. */
const COMPLAINT_INTAKE = defineRateLimit({ name: 'complaint-intake', quota: 5, windowSeconds: 3600, per: 'caller' });
/**
 * The platform's daily ceiling: a flood from many addresses stops here. Sized far above real
 * volume and so that a month of it, at the largest complaint, stays well inside one
 * logical partition (docs/data-design.md).
 */
const COMPLAINTS_PLATFORM_WIDE = defineRateLimit({ name: 'complaints-platform', quota: 1_000, windowSeconds: 86_400, per: 'platform' });

const complaintParams = z.strictObject({ complaintId: z.uuid() });

export const complaintRoutes: AnyRoute[] = [
  defineRoute({
    name: 'file-complaint',
    rateLimits: [COMPLAINT_INTAKE, COMPLAINTS_PLATFORM_WIDE],
    method: 'POST',
    path: '/complaints',
    summary: 'File a formal written complaint (no sign-in needed); answers with its id and follow-up deadline only',
    description: 'Files a formal written complaint about the processing of personal data, by anyone, without signing in. It gets a follow-up deadline. Limited per address and platform-wide.',
    promises: ['P17'],
    tag: 'complaints',
    access: { kind: 'public' },
    body: complaintInputSchema,
    response: complaintReceiptSchema,
    successStatus: 201,
    uses: ['governance'],
    handler: async ({ body }, services) => ({ status: 201, body: await services.governance.complaints.receive(body) }),
  }),
  defineRoute({
    name: 'list-complaints',
    method: 'GET',
    path: '/complaints',
    summary: 'Open complaints (overdue=true: past their follow-up deadline), or one year\'s register (year=YYYY)',
    description: 'Complaints by month or year, optionally only the overdue ones.',
    promises: ['P17'],
    tag: 'complaints',
    access: { kind: 'roles', roles: ['platform-operator'] },
    query: complaintListQuerySchema,
    response: pageOf(complaintSummarySchema),
    successStatus: 200,
    uses: ['governance'],
    handler: async ({ query }, services) => ({ status: 200, body: await services.governance.complaints.list(query) }),
  }),
  defineRoute({
    name: 'get-complaint',
    method: 'GET',
    path: '/complaints/{complaintId}',
    summary: 'One complaint with its follow-up history',
    description: 'One complaint with its follow-up history, with its ETag.',
    promises: ['P17'],
    tag: 'complaints',
    access: { kind: 'roles', roles: ['platform-operator'] },
    params: complaintParams,
    response: complaintSchema,
    successStatus: 200,
    uses: ['governance'],
    handler: async ({ params }, services) => {
      const complaint = await services.governance.complaints.get(params.complaintId);
      return { status: 200, body: complaint.value, headers: etagHeader(complaint.etag) };
    },
  }),
  defineRoute({
    name: 'update-complaint',
    method: 'PATCH',
    path: '/complaints/{complaintId}',
    summary: 'Move a complaint on: received -> contacted -> resolved | referred-to-authority; needs If-Match',
    description: 'Moves a complaint on (contacted, resolved, referred to the authority) with a note; needs If-Match.',
    promises: ['P17'],
    tag: 'complaints',
    access: { kind: 'roles', roles: ['platform-operator'] },
    params: complaintParams,
    body: complaintPatchSchema,
    response: complaintSchema,
    successStatus: 200,
    errorStatuses: [409],
    requiresIfMatch: true,
    uses: ['governance'],
    handler: async ({ params, body, headers }, services) => {
      const complaint = await services.governance.complaints.update(params.complaintId, body, ifMatchOf(headers));
      return { status: 200, body: complaint.value, headers: etagHeader(complaint.etag) };
    },
  }),
];
