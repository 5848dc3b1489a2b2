import { z } from 'zod';

export const EXPORT_RETENTION_DAYS = 7;
export const EXPORT_STATUSES = ['pending', 'ready', 'failed', 'expired'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** Partition of the expiry index in container `exports`: not a kommunenummer, so never a tenant's. */
export const EXPIRY_PARTITION = '_expiry';

/** Blob name in container `exports`: `exports/{municipalityId}/{exportId}.{format}` with the container. */
export const blobNameOf = (municipalityId: string, exportId: string, format: 'json' | 'csv') => `${municipalityId}/${exportId}.${format}`;

export const exportRequestSchema = z
  .strictObject({
    subjectType: z.enum(['student', 'user']),
    subjectId: z.uuid(),
    format: z.enum(['json', 'csv']),
    /** The controller itself (the data admin hands it to the person), or a third party (P13). */
    recipient: z.enum(['controller', 'third-party']),
    /** Required for a third party: a registered disclosure that lists the subject. */
    disclosureId: z.uuid().optional(),
  })
  .refine((body) => body.recipient === 'third-party' || body.disclosureId === undefined, {
    message: 'only an export to a third party names a disclosure',
    path: ['disclosureId'],
  });

export type ExportRequest = z.infer<typeof exportRequestSchema>;

export const exportSchema = z.object({
  id: z.string(),
  subjectType: z.enum(['student', 'user']),
  subjectId: z.string(),
  format: z.enum(['json', 'csv']),
  recipient: z.enum(['controller', 'third-party']),
  disclosureId: z.string().nullable(),
  status: z.enum(EXPORT_STATUSES),
  requestedBy: z.string().nullable(),
  createdAt: z.string(),
  readyAt: z.string().nullable(),
  expiresAt: z.string(),
  sizeBytes: z.number().int().nullable(),
  /** Which privacy providers contributed, and how many items each: no content. */
  sections: z.array(z.object({ provider: z.string(), items: z.number().int() })),
  /** Where to fetch it while it is ready, with the same authorisation as this resource. */
  download: z.string().nullable(),
});

export type ExportView = z.infer<typeof exportSchema>;

export interface StoredExport extends Omit<ExportView, 'download'> {
  type: 'export';
  municipalityId: string;
  /** Blob name in container `exports`; null once expired. */
  blobName: string | null;
}

/** One per export, written before it: the expiry job finds due work without a cross-tenant query. */
export interface ExportDueEntry {
  id: string;
  type: 'export-due';
  municipalityId: typeof EXPIRY_PARTITION;
  exportMunicipalityId: string;
  expiresAt: string;
}
