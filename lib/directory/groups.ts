import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { readTyped, replaceIfMatch, type Versioned } from '../data/documents.js';
import { unquoteEtag } from '../http/etag.js';
import { HttpProblem, problems, type FieldError } from '../http/problem.js';
import type { Page } from '../paging/continuation.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import { queryAll, queryPage, type PageRequest } from '../paging/query-page.js';
import { scopeCondition, type Scope } from '../access/scopes.js';
import type { StudentStore } from './students.js';
import { nameText } from '../http/text-input.js';

const MAX_MEMBERS = 500;
const memberIds = z.array(z.uuid()).max(MAX_MEMBERS).refine((ids) => new Set(ids).size === ids.length, 'ids must not repeat');

export const groupInputSchema = z.strictObject({
  schoolId: z.uuid(),
  name: nameText({ max: 100 }),
  teacherIds: memberIds.default([]),
  studentIds: memberIds.default([]),
});

export const groupPatchSchema = z
  .strictObject({ name: groupInputSchema.shape.name, teacherIds: memberIds, studentIds: memberIds })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, 'send at least one field');

export const groupSchema = z.object({
  id: z.string(),
  schoolId: z.string(),
  name: z.string(),
  teacherIds: z.array(z.string()),
  studentIds: z.array(z.string()),
  /** From a roster import: the school year of the class (academicSessions), and when its class ended. */
  schoolYear: z.string().optional(),
  closedAt: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export interface StoredGroup extends z.infer<typeof groupSchema> {
  type: 'group';
  municipalityId: string;
}

interface MemberCandidate {
  id: string;
  type: string;
  erasureId?: string;
  schoolId?: string;
  schoolIds?: string[];
  roles?: string[];
}

/**
 * Teaching groups. Membership is mirrored onto each student (`groupIds`, `teacherIds`)
 * so that deciding whether a teacher sees a student costs one point read; the mirror is
 * recomputed from the groups after every change, so a retry after a crash repairs it.
 */
export class GroupStore {
  constructor(
    private readonly directory: Container,
    private readonly students: StudentStore,
    private readonly clock: Clock,
    private readonly continuations: ContinuationSealer,
  ) {}

  async create(municipalityId: string, input: z.infer<typeof groupInputSchema>): Promise<Versioned<StoredGroup>> {
    await this.assertMembers(municipalityId, input.schoolId, input.teacherIds, input.studentIds);
    const now = this.clock.now().toISOString();
    const group: StoredGroup = { id: randomUUID(), type: 'group', municipalityId, ...input, createdAt: now, updatedAt: now };
    const { resource, etag } = await this.directory.items.create(group);
    await this.syncStudents(municipalityId, group.schoolId, group.studentIds);
    return { value: resource ?? group, etag };
  }

  async get(municipalityId: string, id: string): Promise<Versioned<StoredGroup>> {
    const found = await readTyped<StoredGroup>(this.directory, id, [['municipalityId', municipalityId]], 'group');
    if (!found) throw problems.notFound();
    return found;
  }

  list(municipalityId: string, scope: Scope, schoolId: string | undefined, page: PageRequest): Promise<Page<StoredGroup>> {
    const visible = scopeCondition(scope, 'schoolId');
    const parameters = [...visible.parameters, ...(schoolId ? [{ name: '@school', value: schoolId }] : [])];
    return queryPage(
      this.continuations,
      this.directory,
      { where: ["c.type = 'group'", visible.sql, ...(schoolId ? ['c.schoolId = @school'] : [])].join(' AND '), parameters },
      [['municipalityId', municipalityId]],
      page,
    );
  }

  async update(municipalityId: string, current: Versioned<StoredGroup>, patch: z.infer<typeof groupPatchSchema>, ifMatch: string) {
    const next: StoredGroup = { ...current.value, ...patch, updatedAt: this.clock.now().toISOString() };
    await this.assertMembers(municipalityId, next.schoolId, next.teacherIds, next.studentIds);
    const updated = await replaceIfMatch(this.directory, municipalityId, current, next, ifMatch);
    await this.syncStudents(municipalityId, next.schoolId, [...current.value.studentIds, ...next.studentIds]);
    return updated;
  }

  async delete(municipalityId: string, id: string): Promise<void> {
    const { value } = await this.get(municipalityId, id);
    if (value.studentIds.length > 0 || value.teacherIds.length > 0) throw problems.conflict('The group still has members');
    await this.directory.item(id, municipalityId).delete();
  }

  /**
   * Erasure: takes a person out of every group that lists them (as student or teacher) and
   * re-mirrors the memberships. Idempotent; a concurrent edit of a group is retried.
   */
  async removeMember(municipalityId: string, memberId: string): Promise<number> {
    const holding = await this.groupsWith(municipalityId, memberId);
    for (const group of holding) {
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const current = await readTyped<StoredGroup>(this.directory, group.id, [['municipalityId', municipalityId]], 'group');
        if (!current) break;
        const next: StoredGroup = {
          ...current.value,
          teacherIds: current.value.teacherIds.filter((id) => id !== memberId),
          studentIds: current.value.studentIds.filter((id) => id !== memberId),
          updatedAt: this.clock.now().toISOString(),
        };
        try {
          await replaceIfMatch(this.directory, municipalityId, current, next, unquoteEtag(current.etag));
          await this.syncStudents(municipalityId, next.schoolId, next.studentIds);
          break;
        } catch (error) {
          if (!(error instanceof HttpProblem && error.status === 412)) throw error;
        }
      }
    }
    return holding.length;
  }

  groupsWith(municipalityId: string, memberId: string): Promise<StoredGroup[]> {
    return queryAll<StoredGroup>(
      this.directory,
      { where: "c.type = 'group' AND (ARRAY_CONTAINS(c.studentIds, @member) OR ARRAY_CONTAINS(c.teacherIds, @member))", parameters: [{ name: '@member', value: memberId }] },
      [['municipalityId', municipalityId]],
    );
  }

  /** Every group of a school is small and bounded; one query gives all memberships to mirror. */
  private async syncStudents(municipalityId: string, schoolId: string, studentIds: readonly string[]): Promise<void> {
    const affected = [...new Set(studentIds)];
    if (affected.length === 0) return;
    const groups = await queryAll<Pick<StoredGroup, 'id' | 'teacherIds' | 'studentIds'>>(
      this.directory,
      { select: 'c.id, c.teacherIds, c.studentIds', where: "c.type = 'group' AND c.schoolId = @school", parameters: [{ name: '@school', value: schoolId }] },
      [['municipalityId', municipalityId]],
    );
    for (const studentId of affected) {
      const holding = groups.filter((group) => group.studentIds.includes(studentId));
      await this.students.setMembership(
        municipalityId,
        studentId,
        holding.map((group) => group.id),
        holding.flatMap((group) => group.teacherIds),
      );
    }
  }

  private async assertMembers(municipalityId: string, schoolId: string, teacherIds: readonly string[], studentIds: readonly string[]) {
    const ids = [...teacherIds, ...studentIds, schoolId];
    const found = await queryAll<MemberCandidate>(
      this.directory,
      { select: 'c.id, c.type, c.schoolId, c.schoolIds, c.roles, c.erasureId', where: 'ARRAY_CONTAINS(@ids, c.id)', parameters: [{ name: '@ids', value: ids }] },
      [['municipalityId', municipalityId]],
    );
    const byId = new Map(found.filter((candidate) => candidate.erasureId === undefined).map((candidate) => [candidate.id, candidate]));
    const errors: FieldError[] = [];
    if (byId.get(schoolId)?.type !== 'school') errors.push({ field: 'body/schoolId', message: 'refers to a school that does not exist' });
    teacherIds.forEach((id, index) => {
      const teacher = byId.get(id);
      if (teacher?.type !== 'user' || !teacher.roles?.includes('teacher') || !teacher.schoolIds?.includes(schoolId)) {
        errors.push({ field: `body/teacherIds/${index}`, message: 'is not a teacher at this school' });
      }
    });
    studentIds.forEach((id, index) => {
      const student = byId.get(id);
      if (student?.type !== 'student' || student.schoolId !== schoolId) {
        errors.push({ field: `body/studentIds/${index}`, message: 'is not a student at this school' });
      }
    });
    if (errors.length > 0) throw problems.validation(errors);
  }
}
