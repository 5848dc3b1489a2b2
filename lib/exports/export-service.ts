import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import type { StaffPrincipal } from '../access/scopes.js';
import type { Clock } from '../clock.js';
import { readTyped } from '../data/documents.js';
import type { StudentStore } from '../directory/students.js';
import type { UserDirectory } from '../directory/users.js';
import type { DisclosureRegister } from '../disclosures/disclosure-register.js';
import { HttpProblem, problems } from '../http/problem.js';
import type { Logger } from '../logger.js';
import type { Page } from '../paging/continuation.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import { queryPage, type PageRequest } from '../paging/query-page.js';
import type { ExportSection, PrivacyRegistry, PrivacySubject } from '../privacy/privacy-provider.js';
import { EXPORT_MEDIA_TYPES, renderExport } from './export-formats.js';
import {
  blobNameOf,
  EXPIRY_PARTITION,
  EXPORT_RETENTION_DAYS,
  type ExportDueEntry,
  type ExportRequest,
  type ExportStatus,
  type ExportView,
  type StoredExport,
} from './export-model.js';

export interface ExportServiceDependencies {
  exports: Container;
  blobs: ContainerClient;
  privacy: PrivacyRegistry;
  students: StudentStore;
  users: UserDirectory;
  disclosures: DisclosureRegister;
  continuations: ContinuationSealer;
  clock: Clock;
  logger: Logger;
}

export interface ExportDownload {
  content: Uint8Array;
  contentType: string;
  fileName: string;
}

const DAY_MS = 86_400_000;

/**
 * Subject-access exports (P14) requested by the controller's data admin: every privacy
 * provider's `export` for the subject, as one JSON or CSV file in blob container `exports`,
 * downloadable through the API for 7 days. An export to a third party must name a
 * registered disclosure that lists the subject (P13).
 *
 * The work runs inside the request: one subject's data is small, and the caller gets a
 * finished export or a clear failure. The expiry entry is written before anything else, so
 * every blob that can exist has an entry the `export-expiry` job will find.
 */
export class ExportService {
  constructor(private readonly deps: ExportServiceDependencies) {}

  async request(staff: StaffPrincipal, input: ExportRequest): Promise<ExportView> {
    const municipalityId = staff.municipalityId;
    const subject = await this.subjectOf(municipalityId, input.subjectType, input.subjectId);
    const disclosureId = input.recipient === 'third-party' ? await this.requireDisclosure(municipalityId, input) : null;
    const now = this.deps.clock.now();
    const id = randomUUID();
    const expiresAt = new Date(now.getTime() + EXPORT_RETENTION_DAYS * DAY_MS).toISOString();
    const due: ExportDueEntry = { id, type: 'export-due', municipalityId: EXPIRY_PARTITION, exportMunicipalityId: municipalityId, expiresAt };
    await this.deps.exports.items.create(due);
    let record: StoredExport = {
      id,
      type: 'export',
      municipalityId,
      subjectType: input.subjectType,
      subjectId: input.subjectId,
      format: input.format,
      recipient: input.recipient,
      disclosureId,
      status: 'pending',
      requestedBy: staff.userId,
      createdAt: now.toISOString(),
      readyAt: null,
      expiresAt,
      sizeBytes: null,
      sections: [],
      blobName: null,
    };
    await this.deps.exports.items.create(record);
    try {
      const sections = await this.collect(subject);
      const content = Buffer.from(renderExport(input.format, {
        exportId: id,
        municipalityId,
        subject: { type: input.subjectType, id: input.subjectId },
        recipient: input.recipient,
        disclosureId,
        generatedAt: now.toISOString(),
      }, sections), 'utf8');
      const blobName = blobNameOf(municipalityId, id, input.format);
      await this.deps.blobs.getBlockBlobClient(blobName).uploadData(content, { blobHTTPHeaders: { blobContentType: EXPORT_MEDIA_TYPES[input.format] } });
      record = {
        ...record,
        status: 'ready',
        readyAt: this.deps.clock.now().toISOString(),
        sizeBytes: content.byteLength,
        sections: sections.map((section) => ({ provider: section.provider, items: section.items.length })),
        blobName,
      };
    } catch (error) {
      this.deps.logger.error('export-failed', { exportId: id, error: error instanceof Error ? error.name : 'unknown' });
      await this.deps.exports.item(id, municipalityId).replace({ ...record, status: 'failed' });
      throw storageUnavailable(error);
    }
    await this.deps.exports.item(id, municipalityId).replace(record);
    return this.view(record);
  }

  async get(municipalityId: string, id: string): Promise<ExportView> {
    return this.view(await this.read(municipalityId, id));
  }

  list(municipalityId: string, page: PageRequest): Promise<Page<ExportView>> {
    return queryPage<StoredExport>(this.deps.continuations, this.deps.exports, { where: "c.type = 'export'", orderBy: 'c.createdAt DESC' }, [['municipalityId', municipalityId]], page).then(
      (found) => ({ items: found.items.map((record) => this.view(record)), continuationToken: found.continuationToken }),
    );
  }

  /** The file itself, only while the export is ready and not past its expiry. */
  async download(municipalityId: string, id: string): Promise<{ record: StoredExport; file: ExportDownload }> {
    const record = await this.read(municipalityId, id);
    const status = this.statusOf(record);
    if (status === 'expired') throw gone();
    if (status !== 'ready' || !record.blobName) throw problems.conflict(`The export is ${status}; only a ready export can be downloaded`);
    let content: Buffer;
    try {
      content = await this.deps.blobs.getBlockBlobClient(record.blobName).downloadToBuffer();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) throw this.fileMissing(record);
      throw storageUnavailable(error);
    }
    return { record, file: { content, contentType: EXPORT_MEDIA_TYPES[record.format], fileName: `export-${record.id}.${record.format}` } };
  }

  /**
   * A ready export before its expiry whose blob is gone was lost on our side (storage lost or
   * removed it): an incident, logged with ids only, and a 5xx that says so, since the caller did
   * nothing wrong and "expired" would name the wrong cause.
   */
  private fileMissing(record: StoredExport): HttpProblem {
    this.deps.logger.error('export-file-missing', { municipalityId: record.municipalityId, exportId: record.id, format: record.format, readyAt: record.readyAt ?? undefined });
    return new HttpProblem(500, 'export-file-missing', 'Export file missing',
      'The export is recorded as ready but its file is missing from storage; this is logged as an incident on our side. Quote x-request-id to support and request a new export');
  }

  /** Providers one after another: a subject's data is small, and Cosmos DB gets no burst. */
  private async collect(subject: PrivacySubject): Promise<ExportSection[]> {
    const sections: ExportSection[] = [];
    for (const provider of this.deps.privacy.for(subject.type)) sections.push(await provider.export(subject));
    return sections;
  }

  private async subjectOf(municipalityId: string, type: 'student' | 'user', id: string): Promise<PrivacySubject> {
    if (type === 'student') {
      const student = (await this.deps.students.get(municipalityId, id)).value;
      return { municipalityId, type, id, since: student.createdAt };
    }
    const user = (await this.deps.users.get(municipalityId, id)).value;
    return { municipalityId, type, id, identity: user.identity, since: user.createdAt };
  }

  private async requireDisclosure(municipalityId: string, input: ExportRequest): Promise<string> {
    const refused = (detail: string) => new HttpProblem(422, 'disclosure-required', 'A registered disclosure is required', detail);
    if (!input.disclosureId) throw refused('An export to a third party must name a registered disclosure (disclosureId)');
    const disclosure = await this.deps.disclosures.find(municipalityId, input.disclosureId);
    if (!disclosure) throw refused('No disclosure with this id is registered for this municipality');
    if (!disclosure.subjectIds.includes(input.subjectId)) throw refused('The disclosure does not include this subject');
    return disclosure.id;
  }

  private async read(municipalityId: string, id: string): Promise<StoredExport> {
    const found = await readTyped<StoredExport>(this.deps.exports, id, [['municipalityId', municipalityId]], 'export');
    if (!found) throw problems.notFound();
    return found.value;
  }

  /** Past its expiry an export is expired at once, whether or not the job has removed the file yet. */
  private statusOf(record: StoredExport): ExportStatus {
    return record.status !== 'expired' && Date.parse(record.expiresAt) <= this.deps.clock.now().getTime() ? 'expired' : record.status;
  }

  private view(record: StoredExport): ExportView {
    const status = this.statusOf(record);
    return {
      id: record.id,
      subjectType: record.subjectType,
      subjectId: record.subjectId,
      format: record.format,
      recipient: record.recipient,
      disclosureId: record.disclosureId,
      status,
      requestedBy: record.requestedBy,
      createdAt: record.createdAt,
      readyAt: record.readyAt,
      expiresAt: record.expiresAt,
      sizeBytes: record.sizeBytes,
      sections: record.sections,
      download: status === 'ready' ? `/api/municipalities/${record.municipalityId}/exports/${record.id}/download` : null,
    };
  }
}

/** Blob Storage reports its own failures as `statusCode`; they are the service's, not the caller's. */
function storageUnavailable(error: unknown): unknown {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && (status >= 500 || status === 408 || status === 429)) {
    return problems.unavailable('Storage is unavailable; retry shortly', 5);
  }
  return error;
}

function gone(): HttpProblem {
  return new HttpProblem(410, 'gone', 'Gone', `Exports are kept for ${EXPORT_RETENTION_DAYS} days; request a new one`);
}
