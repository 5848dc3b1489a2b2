import type { Versioned } from '../data/documents.js';
import type { SettingsStore } from '../directory/settings.js';
import type { StoredStudent, StudentStore } from '../directory/students.js';
import { problems } from '../http/problem.js';
import { inScope, managementScope, recordWriteScope, studentReadScope, type Scope, type StaffPrincipal } from './scopes.js';

/**
 * The one place that decides whether a caller may see, manage or write records of a
 * student (P5). A student outside the caller's scope is indistinguishable from one that
 * does not exist: both are 404.
 */
export class StudentGate {
  constructor(
    private readonly students: StudentStore,
    private readonly settings: SettingsStore,
  ) {}

  async readScope(principal: StaffPrincipal): Promise<Scope> {
    return studentReadScope(principal, await this.settings.visibility(principal.municipalityId));
  }

  async readable(principal: StaffPrincipal, studentId: string): Promise<Versioned<StoredStudent>> {
    return this.within(principal, studentId, await this.readScope(principal));
  }

  async recordWritable(principal: StaffPrincipal, studentId: string): Promise<Versioned<StoredStudent>> {
    const scope = recordWriteScope(principal, await this.settings.visibility(principal.municipalityId));
    return this.within(principal, studentId, scope);
  }

  manageable(principal: StaffPrincipal, studentId: string): Promise<Versioned<StoredStudent>> {
    return this.within(principal, studentId, managementScope(principal));
  }

  private async within(principal: StaffPrincipal, studentId: string, scope: Scope): Promise<Versioned<StoredStudent>> {
    const student = await this.students.find(principal.municipalityId, studentId);
    if (!student || !inScope(scope, { schoolIds: [student.value.schoolId], teacherIds: student.value.teacherIds })) {
      throw problems.notFound();
    }
    return student;
  }
}
