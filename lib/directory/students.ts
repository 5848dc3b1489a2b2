import { randomUUID } from 'node:crypto';
import type { Container, PatchOperation } from '@azure/cosmos';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { readTyped, replaceIfMatch, type Versioned } from '../data/documents.js';
import { problems } from '../http/problem.js';
import type { Page } from '../paging/continuation.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import { queryPage, type PageRequest } from '../paging/query-page.js';
import { scopeCondition, type Scope } from '../access/scopes.js';
import { nameText } from '../http/text-input.js';

export const isoDate = z.iso.date();

const studentFields = {
  givenName: nameText({ max: 100 }),
  familyName: nameText({ max: 100 }),
  birthDate: isoDate,
  schoolId: z.uuid(),
  yearLevel: z.number().int().min(1).max(13),
  status: z.enum(['active', 'leaver']),
  leftAt: isoDate.optional(),
};

/**
 * A leaver has a leaving date and nobody else has one: bulk erasure selects leavers by it
 * and a leaver report must name a school year that contains it. The message, or undefined.
 */
function leavingDateProblem(student: { status?: string | undefined; leftAt?: string | undefined }): string | undefined {
  if (student.status === 'leaver' && student.leftAt === undefined) return 'is required for a leaver';
  if (student.status !== 'leaver' && student.leftAt !== undefined) return 'is only for leavers';
  return undefined;
}

export const studentInputSchema = z
  .strictObject({ ...studentFields, status: studentFields.status.default('active') })
  .superRefine((student, context) => {
    const message = leavingDateProblem(student);
    if (message) context.addIssue({ code: 'custom', message, path: ['leftAt'] });
  });

export const studentPatchSchema = z
  .strictObject(studentFields)
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, 'send at least one field');

export const studentSchema = z.object({
  id: z.string(),
  givenName: z.string(),
  familyName: z.string(),
  birthDate: z.string(),
  schoolId: z.string(),
  yearLevel: z.number(),
  status: z.enum(['active', 'leaver']),
  leftAt: z.string().optional(),
  groupIds: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export interface StoredStudent extends z.infer<typeof studentSchema> {
  type: 'student';
  municipalityId: string;
  /** Denormalised from the groups that hold the student, so one point read decides visibility. */
  teacherIds: string[];
  /** Set when an erasure is accepted: from then on the student is gone for every reader. */
  erasureId?: string;
}

export interface StudentFilter {
  schoolId?: string | undefined;
  status?: 'active' | 'leaver' | undefined;
  /** Leavers who left on a day in this range (inclusive ISO dates): a school year's leavers. */
  leftBetween?: { first: string; last: string } | undefined;
}

export class StudentStore {
  constructor(
    private readonly directory: Container,
    private readonly clock: Clock,
    private readonly continuations: ContinuationSealer,
  ) {}

  async create(municipalityId: string, input: z.infer<typeof studentInputSchema>): Promise<Versioned<StoredStudent>> {
    const now = this.clock.now().toISOString();
    const student: StoredStudent = {
      id: randomUUID(),
      type: 'student',
      municipalityId,
      ...input,
      groupIds: [],
      teacherIds: [],
      createdAt: now,
      updatedAt: now,
    };
    const { resource, etag } = await this.directory.items.create(student);
    return { value: resource ?? student, etag };
  }

  find(municipalityId: string, id: string): Promise<Versioned<StoredStudent> | undefined> {
    return readTyped<StoredStudent>(this.directory, id, [['municipalityId', municipalityId]], 'student');
  }

  async get(municipalityId: string, id: string): Promise<Versioned<StoredStudent>> {
    const found = await this.find(municipalityId, id);
    if (!found) throw problems.notFound();
    return found;
  }

  list(municipalityId: string, scope: Scope, filter: StudentFilter, page: PageRequest): Promise<Page<StoredStudent>> {
    const visible = scopeCondition(scope, 'schoolId');
    const conditions = ["c.type = 'student'", 'NOT IS_DEFINED(c.erasureId)', visible.sql];
    const parameters = [...visible.parameters];
    if (filter.schoolId) {
      conditions.push('c.schoolId = @school');
      parameters.push({ name: '@school', value: filter.schoolId });
    }
    if (filter.status) {
      conditions.push('c.status = @status');
      parameters.push({ name: '@status', value: filter.status });
    }
    if (filter.leftBetween) {
      conditions.push('c.leftAt >= @leftFirst AND c.leftAt <= @leftLast');
      parameters.push({ name: '@leftFirst', value: filter.leftBetween.first }, { name: '@leftLast', value: filter.leftBetween.last });
    }
    return queryPage(this.continuations, this.directory, { where: conditions.join(' AND '), parameters }, [['municipalityId', municipalityId]], page);
  }

  async update(
    municipalityId: string,
    current: Versioned<StoredStudent>,
    patch: z.infer<typeof studentPatchSchema>,
    ifMatch: string,
  ): Promise<Versioned<StoredStudent>> {
    if (patch.schoolId !== undefined && patch.schoolId !== current.value.schoolId && current.value.groupIds.length > 0) {
      throw problems.conflict('Remove the student from the groups of the old school first');
    }
    const next: StoredStudent = { ...current.value, ...patch, updatedAt: this.clock.now().toISOString() };
    // A leaver made active again keeps no leaving date (merge patch has no way to send "remove").
    if (patch.status === 'active' && patch.leftAt === undefined) delete next.leftAt;
    const message = leavingDateProblem(next);
    if (message) throw problems.validation([{ field: 'body/leftAt', message }]);
    return replaceIfMatch(this.directory, municipalityId, current, next, ifMatch);
  }

  /** Group membership as seen from the student; recomputed from the groups, so repeating it is harmless. */
  async setMembership(municipalityId: string, studentId: string, groupIds: string[], teacherIds: string[]): Promise<void> {
    const operations: PatchOperation[] = [
      { op: 'set', path: '/groupIds', value: [...new Set(groupIds)].sort() },
      { op: 'set', path: '/teacherIds', value: [...new Set(teacherIds)].sort() },
    ];
    await this.directory.item(studentId, municipalityId).patch(operations);
  }
}
