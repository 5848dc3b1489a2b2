import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { readTyped, replaceIfMatch, type Versioned } from '../data/documents.js';
import { problems } from '../http/problem.js';
import type { Page } from '../paging/continuation.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import { queryAll, queryPage, type PageRequest } from '../paging/query-page.js';
import { nameText } from '../http/text-input.js';

export const schoolInputSchema = z.strictObject({
  name: nameText({ max: 200 }),
  organisationNumber: z.string().regex(/^\d{9}$/, 'must be a 9-digit organisasjonsnummer').optional(),
});

export const schoolPatchSchema = schoolInputSchema.partial().refine((patch) => Object.keys(patch).length > 0, 'send at least one field');

export const schoolSchema = z.object({
  id: z.string(),
  name: z.string(),
  organisationNumber: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export interface StoredSchool extends z.infer<typeof schoolSchema> {
  type: 'school';
  municipalityId: string;
}

export class SchoolStore {
  constructor(
    private readonly directory: Container,
    private readonly clock: Clock,
    private readonly continuations: ContinuationSealer,
  ) {}

  async create(municipalityId: string, input: z.infer<typeof schoolInputSchema>): Promise<Versioned<StoredSchool>> {
    const now = this.clock.now().toISOString();
    const school: StoredSchool = { id: randomUUID(), type: 'school', municipalityId, ...input, createdAt: now, updatedAt: now };
    const { resource, etag } = await this.directory.items.create(school);
    return { value: resource ?? school, etag };
  }

  async get(municipalityId: string, id: string): Promise<Versioned<StoredSchool>> {
    const found = await readTyped<StoredSchool>(this.directory, id, [['municipalityId', municipalityId]], 'school');
    if (!found) throw problems.notFound();
    return found;
  }

  list(municipalityId: string, page: PageRequest): Promise<Page<StoredSchool>> {
    return queryPage(this.continuations, this.directory, { where: "c.type = 'school'" }, [['municipalityId', municipalityId]], page);
  }

  async update(municipalityId: string, id: string, patch: z.infer<typeof schoolPatchSchema>, ifMatch: string) {
    const current = await this.get(municipalityId, id);
    return replaceIfMatch(this.directory, municipalityId, current, { ...current.value, ...patch, updatedAt: this.clock.now().toISOString() }, ifMatch);
  }

  /** Refused while any student, group or staff member still belongs to the school. */
  async delete(municipalityId: string, id: string): Promise<void> {
    await this.get(municipalityId, id);
    const members = await queryAll<{ id: string }>(
      this.directory,
      {
        select: 'TOP 1 c.id',
        where: "(c.type IN ('student', 'group') AND c.schoolId = @school) OR (c.type = 'user' AND ARRAY_CONTAINS(c.schoolIds, @school))",
        parameters: [{ name: '@school', value: id }],
      },
      [['municipalityId', municipalityId]],
    );
    if (members.length > 0) throw problems.conflict('The school still has students, groups or staff');
    await this.directory.item(id, municipalityId).delete();
  }

  /** Existence check for references; ids outside the municipality simply do not exist. */
  async assertExist(municipalityId: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const found = await queryAll<{ id: string }>(
      this.directory,
      { select: 'c.id', where: "c.type = 'school' AND ARRAY_CONTAINS(@ids, c.id)", parameters: [{ name: '@ids', value: [...new Set(ids)] }] },
      [['municipalityId', municipalityId]],
    );
    if (found.length !== new Set(ids).size) {
      throw problems.validation([{ field: 'body/schoolId', message: 'refers to a school that does not exist' }]);
    }
  }
}
