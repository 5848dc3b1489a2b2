import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { StaffPrincipal } from '../access/scopes.js';
import type { Clock } from '../clock.js';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { readTyped } from '../data/documents.js';
import { problems, type FieldError } from '../http/problem.js';
import type { Page } from '../paging/continuation.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import { queryPage, type PageRequest } from '../paging/query-page.js';
import type { Disclosure, DisclosureInput, StoredDisclosure } from './disclosure-model.js';

/**
 * The register of disclosures to third parties (P13), one entry per disclosure, kept in
 * container `exports` (partition key `/municipalityId`) beside the exports that must name
 * one. Entries are never changed or deleted by the API: a correction is a new entry.
 */
export class DisclosureRegister {
  constructor(
    private readonly exports: Container,
    private readonly directory: Container,
    private readonly clock: Clock,
    private readonly continuations: ContinuationSealer,
  ) {}

  async register(staff: StaffPrincipal, input: DisclosureInput): Promise<StoredDisclosure> {
    await this.requireSubjects(staff.municipalityId, input.subjectIds);
    const now = this.clock.now();
    const disclosedAt = input.disclosedAt ?? now.toISOString();
    if (Date.parse(disclosedAt) > now.getTime()) {
      throw problems.validation([{ field: 'body/disclosedAt', message: 'must not be in the future: register a disclosure when it is made' }]);
    }
    const disclosure: StoredDisclosure = {
      id: randomUUID(),
      type: 'disclosure',
      municipalityId: staff.municipalityId,
      recipient: input.recipient,
      basis: input.basis,
      reference: input.reference,
      dataCategories: input.dataCategories,
      subjectIds: input.subjectIds,
      disclosedAt,
      registeredBy: staff.userId,
      createdAt: now.toISOString(),
    };
    await this.exports.items.create(disclosure);
    return disclosure;
  }

  async find(municipalityId: string, id: string): Promise<StoredDisclosure | undefined> {
    return (await readTyped<StoredDisclosure>(this.exports, id, [['municipalityId', municipalityId]], 'disclosure'))?.value;
  }

  async get(municipalityId: string, id: string): Promise<StoredDisclosure> {
    const found = await this.find(municipalityId, id);
    if (!found) throw problems.notFound();
    return found;
  }

  /** Newest first; with `subjectId`, only the disclosures that include that person. */
  list(municipalityId: string, subjectId: string | undefined, page: PageRequest): Promise<Page<Disclosure>> {
    return queryPage<Disclosure>(
      this.continuations,
      this.exports,
      {
        where: subjectId ? "c.type = 'disclosure' AND ARRAY_CONTAINS(c.subjectIds, @subject)" : "c.type = 'disclosure'",
        ...(subjectId ? { parameters: [{ name: '@subject', value: subjectId }] } : {}),
        orderBy: 'c.createdAt DESC',
      },
      [['municipalityId', municipalityId]],
      page,
    );
  }

  /** Every subject must be a student or staff user of this municipality: one point read each. */
  private async requireSubjects(municipalityId: string, ids: readonly string[]): Promise<void> {
    const errors: FieldError[] = [];
    for (const [index, id] of ids.entries()) {
      if (!(await this.isSubject(municipalityId, id))) errors.push({ field: `body/subjectIds/${index}`, message: 'is no student or staff user of this municipality' });
    }
    if (errors.length > 0) throw problems.validation(errors);
  }

  private async isSubject(municipalityId: string, id: string): Promise<boolean> {
    try {
      const { resource } = await this.directory.item(id, municipalityId).read<{ type?: string; municipalityId?: string; erasureId?: string }>();
      return (resource?.type === 'student' || resource?.type === 'user') && resource.municipalityId === municipalityId && resource.erasureId === undefined;
    } catch (error) {
      if (isCosmosStatus(error, 404)) return false;
      throw error;
    }
  }
}
