import type { ErasedSubjects } from '../erasure/erased-subjects.js';
import type { TokenIdentity } from '../identity/principal.js';
import type { TenantRole } from '../identity/principal.js';
import type { Rejection } from './roster-fields.js';
import { ROSTER_FILES, type RosterFileKey } from './roster-files.js';
import { ROSTER_LIMITS } from './roster-limits.js';
import { SourcedIdSet, SourcedIdSubset } from './roster-id-set.js';
import { discardRoster, type ClassRow, type Roster, type StaffRole, type UserRow } from './roster-reader.js';
import { ADMIN_ROLES } from './roster-roles.js';
import { MemberPool, MemberSet, StudentTargets } from './roster-members.js';
import { RecordTable, type RecordCodec } from './roster-record-table.js';
import { StudentMirror } from './roster-student-mirror.js';
import { derivedId, type DirectorySnapshot, type SnapshotGroup, type SnapshotSchool, type SnapshotStudent, type SnapshotUser } from './roster-snapshot.js';

/** A directory document as the plan writes it (in the municipality's partition). */
export type PlanDocument = object & { id: string; municipalityId: string };

/** One write of the plan: a new document, a changed one (under the ETag it was planned from), or a new staff user (identity first). */
export type PlanOp =
  | { op: 'create'; doc: PlanDocument }
  | { op: 'replace'; doc: PlanDocument; etag: string }
  | { op: 'create-user'; doc: SnapshotUser };

export type ChangeKind = 'created' | 'updated' | 'unchanged' | 'leaver' | 'closed';

export interface FileChanges {
  created: number;
  updated: number;
  unchanged: number;
  leaver: number;
  closed: number;
  /** Stored students not made leavers, groups not closed, groups whose members were not removed: because a rejected row names them. */
  kept: number;
}

/** A row of the diff: where in the file (null: the directory's own, e.g. a student the file no longer lists), what, which fields. */
export interface ChangeSample {
  file: string;
  line: number | null;
  kind: 'school' | 'staff' | 'student' | 'group';
  change: Exclude<ChangeKind, 'unchanged'>;
  fields: string[];
}

/** Where the planner hands each write as it is planned (the import stores them as batches in Blob Storage). */
export type PlanSink = (op: PlanOp) => Promise<void>;

/** What planning reports; the writes themselves went to the sink and are not held here. */
export interface Plan {
  changes: Record<RosterFileKey, FileChanges>;
  samples: ChangeSample[];
  /** Rows the planner refused against the directory (a delta's reference, an erased person, an identity clash). */
  rejections: Rejection[];
  rejectedByFile: Partial<Record<RosterFileKey, number>>;
}

export interface PlanContext {
  municipalityId: string;
  today: string;
  now: string;
  identityIssuer: string;
  /** A person an instruction erased is not created again, by the id, sourcedId or login identity the erasure recorded. */
  erased: ErasedSubjects;
}

const ERASED = 'was erased on the controller’s instruction and is not imported again (register them through the API if they are to be in the platform again)';
const ERASURE_UNDER_WAY = 'was erased on the controller’s instruction and is not imported again while the erasure runs';

/** Members of a group as the enrollments make them. */
interface GroupMembers {
  teachers: MemberSet;
  students: MemberSet;
}

/** A student's last enrollment end date, or null while one of their enrollments is open. */
const LAST_ENDED: RecordCodec<string | null> = {
  write(date, out) {
    out.optionalString(date ?? undefined);
  },
  read(input) {
    return input.optionalString() ?? null;
  },
};

/**
 * The writes that bring the directory in step with the roster, and nothing else: each
 * document's roster-owned fields are compared with what is stored, and only a difference is
 * written. Re-importing the same file therefore plans no write at all.
 */
export function planImport(roster: Roster, snapshot: DirectorySnapshot, context: PlanContext, sink: PlanSink): Promise<Plan> {
  return new Planner(roster, snapshot, context, sink).plan();
}

class Planner {
  private readonly result: Plan = {
    changes: Object.fromEntries(Object.keys(ROSTER_FILES).map((key) => [key, { created: 0, updated: 0, unchanged: 0, leaver: 0, closed: 0, kept: 0 }])) as Record<RosterFileKey, FileChanges>,
    samples: [],
    rejections: [],
    rejectedByFile: {},
  };
  private readonly sampled = new Map<string, number>();
  /** The document ids of group members, once each for every group's `MemberSet` (and the students' targets). */
  private readonly memberIds = new SourcedIdSet();
  /** Where every group's members are while groups are planned. */
  private readonly memberPool = new MemberPool();
  /** Each student's open groups as planned, for their document (its memberships in a temporary file). */
  private readonly mirror = new StudentMirror(this.memberIds);
  /** Student ids by sourcedId for this import (existing or new), and whether each stays active (off the V8 heap: one per student). */
  private readonly studentIds: StudentTargets;
  private readonly staffIds = new Map<string, { id: string; teaches: boolean }>();
  /** Staff whose row was rejected because an erasure covers them: their enrollments go with it, unreported. */
  private readonly erasedStaff = new Set<string>();
  /** Users and classes named by a rejected row (the reader's and the planner's own): what the directory holds of them is kept. */
  private readonly heldUsers: Set<string>;
  private readonly heldClasses: Set<string>;

  constructor(
    private readonly roster: Roster,
    private readonly snapshot: DirectorySnapshot,
    private readonly context: PlanContext,
    private readonly sink: PlanSink,
  ) {
    this.heldUsers = new Set(roster.held.users);
    this.heldClasses = new Set(roster.held.classes);
    this.studentIds = new StudentTargets(roster.userIds, this.memberIds);
    this.lastEndedByStudent = new RecordTable(LAST_ENDED, { ids: roster.userIds, spilled: true });
  }

  async plan(): Promise<Plan> {
    try {
      await this.schools();
      await this.staff();
      await this.lastEndedEnrollments();
      const students = this.studentTargets();
      await this.groups();
      await this.students(students);
      return this.result;
    } finally {
      try {
        this.lastEndedByStudent.clear();
      } finally {
        try {
          this.mirror.discard();
        } finally {
          discardRoster(this.roster);
        }
      }
    }
  }

  private schoolIdOf(sourcedId: string): string {
    return this.snapshot.schools.get(sourcedId)?.id ?? derivedId(this.context.municipalityId, 'school', sourcedId);
  }

  private async schools(): Promise<void> {
    for (const row of this.roster.schools.values()) {
      const existing = this.snapshot.schools.get(row.sourcedId);
      const wanted = { name: row.name, organisationNumber: row.organisationNumber };
      if (!existing) {
        const doc: SnapshotSchool = {
          id: this.schoolIdOf(row.sourcedId),
          type: 'school',
          municipalityId: this.context.municipalityId,
          sourcedId: row.sourcedId,
          name: row.name,
          ...(row.organisationNumber ? { organisationNumber: row.organisationNumber } : {}),
          createdAt: this.context.now,
          updatedAt: this.context.now,
        };
        await this.write('orgs', 'school', row.line, 'created', Object.keys(wanted), { op: 'create', doc });
        continue;
      }
      await this.update('orgs', 'school', row.line, existing, wanted);
    }
  }

  private async staff(): Promise<void> {
    for (const user of this.roster.users.values()) {
      if (user.kind !== 'staff') continue;
      const identity: TokenIdentity = { issuer: this.context.identityIssuer, subject: user.identitySubject ?? '' };
      const bySourced = this.snapshot.users.get(user.sourcedId);
      const existing = bySourced ?? this.snapshot.userByIdentity(identity);
      if (existing && this.erasing('user', existing)) {
        this.erasedStaff.add(user.sourcedId);
        this.reject('users', user.line, 'sourcedId', ERASURE_UNDER_WAY);
        continue;
      }
      if (bySourced && (bySourced.identity.issuer !== identity.issuer || bySourced.identity.subject !== identity.subject)) {
        this.refuseStaff(user, 'userIds', 'differs from the login identity registered for this user (change it through the API)');
        continue;
      }
      if (!bySourced && existing?.sourcedId !== undefined) {
        this.refuseStaff(user, 'userIds', 'is the login identity of a user imported under another sourcedId');
        continue;
      }
      const id = existing?.id ?? derivedId(this.context.municipalityId, 'user', user.sourcedId);
      if (!existing && this.context.erased('user', { id, sourcedId: user.sourcedId, identity })) {
        this.erasedStaff.add(user.sourcedId);
        this.reject('users', user.line, 'sourcedId', ERASED);
        continue;
      }
      const given = user.schools.map((school) => this.schoolIdOf(school));
      // A file never grants municipality-admin or data-admin, and leaves an admin's roles as they are.
      const isAdmin = existing?.roles.some((role) => ADMIN_ROLES.includes(role)) ?? false;
      const linked = existing !== undefined && !bySourced && this.roster.staffRowsChangeStored;
      const schoolIds = existing ? (linked ? [...new Set([...existing.schoolIds, ...given])].sort() : this.staffSchoolIds(user, existing, given)) : given.sort();
      let roles = (isAdmin || user.staffRoles.length === 0) && existing ? existing.roles : ([...user.staffRoles].sort() as TenantRole[]);
      if (linked && !isAdmin && user.staffRoles.length > 0) {
        // An account registered through the API, linked by its login by a delta that sends only what changed: its
        // schools and roles are added to, unless a role would then apply where the file does not give it: one the row
        // gives at a stored school it does not name, or a stored one at a school the row adds.
        const added = user.staffRoles.filter((role) => !existing.roles.includes(role));
        const kept = existing.roles.filter((role) => !user.staffRoles.includes(role as StaffRole) && !ADMIN_ROLES.includes(role));
        if ((added.length > 0 && existing.schoolIds.some((school) => !given.includes(school))) || (kept.length > 0 && given.some((school) => !existing.schoolIds.includes(school)))) {
          this.refuseStaff(user, 'sourcedId', 'would have other roles at one of their schools than at another, and a user’s roles apply at every school of theirs (so a teacher at one school would administer the other): register them through the API');
          continue;
        }
        roles = [...new Set([...existing.roles, ...user.staffRoles])].sort() as TenantRole[];
      }
      const name = `${user.givenName} ${user.familyName}`;
      const wanted = { sourcedId: user.sourcedId, name, email: user.email ?? '', roles, schoolIds };
      this.staffIds.set(user.sourcedId, { id, teaches: roles.includes('teacher') });
      if (!existing) {
        const doc: SnapshotUser = {
          id,
          type: 'user',
          municipalityId: this.context.municipalityId,
          ...wanted,
          identity,
          createdAt: this.context.now,
          updatedAt: this.context.now,
        };
        await this.write('users', 'staff', user.line, 'created', Object.keys(wanted), { op: 'create-user', doc });
        continue;
      }
      await this.update('users', 'staff', user.line, existing, wanted);
    }
  }

  /**
   * A staff row refused here: their open enrollments must not reach the stored account either (its
   * schools are not what the row said), and, as for any rejected row, the groups they are in keep them.
   */
  private refuseStaff(user: UserRow, column: string, reason: string): void {
    this.reject('users', user.line, column, reason);
    this.refusedStaff.add(user.sourcedId);
    this.heldUsers.add(user.sourcedId);
  }

  private readonly refusedStaff = new Set<string>();

  /**
   * A stored staff user's schools after the row: a delta's 1.2 row (`addsSchools`) keeps the stored
   * ones but those it ends, adding those it gives; otherwise the row's, or the stored ones when it
   * names none.
   */
  private staffSchoolIds(user: UserRow, existing: SnapshotUser, given: readonly string[]): string[] {
    if (!user.addsSchools) return given.length === 0 ? existing.schoolIds : [...given].sort();
    const ended = new Set(user.endedSchools.map((school) => this.schoolIdOf(school)));
    return [...new Set([...existing.schoolIds.filter((school) => !ended.has(school)), ...given])].sort();
  }

  /**
   * Which students the import knows and whether they stay active, before groups are planned
   * (leavers leave their groups). Returns the sourcedIds of the file's students to plan (their
   * rows stay in the roster's table, not copied here).
   */
  private studentTargets(): SourcedIdSubset {
    const students = new SourcedIdSubset(this.roster.userIds);
    if (this.roster.modes.users === 'absent') {
      // A person whose erasure is under way is not put back into a group the erasure took them out of.
      for (const [sourcedId, student] of this.snapshot.students) if (!this.erasing('student', student)) this.studentIds.set(sourcedId, { id: student.id, active: student.status === 'active' });
      return students;
    }
    for (const user of this.roster.users.values()) {
      if (user.kind !== 'student') continue;
      const existing = this.snapshot.students.get(user.sourcedId);
      if (existing && this.erasing('student', existing)) {
        this.reject('users', user.line, 'sourcedId', ERASURE_UNDER_WAY);
        continue;
      }
      if (!existing && !this.roster.birthDates.has(user.sourcedId)) {
        this.reject('users', user.line, 'sourcedId', 'has no birthDate in demographics.csv, which a new student needs');
        continue;
      }
      if (!existing && user.yearLevel === undefined) {
        this.reject('users', user.line, 'grades', 'is required for a new student (the year level)');
        continue;
      }
      const id = existing?.id ?? derivedId(this.context.municipalityId, 'student', user.sourcedId);
      if (!existing && this.context.erased('student', { id, sourcedId: user.sourcedId })) {
        this.reject('users', user.line, 'sourcedId', ERASED);
        continue;
      }
      students.add(user.sourcedId);
      // A delta's row of a leaver (a corrected name) does not bring them back; an enrollment in a class of it does.
      const staysLeaver = this.roster.modes.users === 'delta' && existing?.status === 'leaver' && !this.enrolledInFile(user.sourcedId);
      const leaves = staysLeaver || (this.enrollmentsEnded(user.sourcedId) && !this.keeps(user.sourcedId, existing));
      this.studentIds.set(user.sourcedId, { id, active: !leaves });
    }
    // By key first: a stored document is read (and parsed) only for a student the file does not list.
    for (const sourcedId of this.snapshot.students.keys()) {
      if (this.studentIds.has(sourcedId)) continue;
      const student = this.snapshot.students.get(sourcedId);
      if (!student || this.erasing('student', student)) continue;
      const gone = (this.roster.modes.users === 'bulk' || this.roster.deletedUsers.has(sourcedId)) && !this.keeps(sourcedId, student);
      this.studentIds.set(sourcedId, { id: student.id, active: !gone && student.status === 'active' });
    }
    return students;
  }

  /** An active stored student whom a rejected row names is not made a leaver by this run (counted as kept). */
  private keeps(sourcedId: string, existing: SnapshotStudent | undefined): boolean {
    if (!existing || existing.status !== 'active' || !this.heldUsers.has(sourcedId)) return false;
    this.result.changes.users.kept += 1;
    return true;
  }

  /** A student whose every enrollment in a bulk file has ended (and who has one) leaves, on the last end date. A delta lists only the enrollments that changed. */
  private enrollmentsEnded(sourcedId: string): boolean {
    return this.roster.modes.enrollments === 'bulk' && this.lastEnded(sourcedId) !== undefined;
  }

  /** Whether an enrollment of the file that has not ended names the student. */
  private enrolledInFile(sourcedId: string): boolean {
    return this.lastEndedByStudent.get(sourcedId) === null;
  }

  /** Per student of an enrollments file: null while one enrollment is open, else the last end date (off the V8 heap: one per student). */
  private readonly lastEndedByStudent: RecordTable<string | null>;

  /** Fills `lastEndedByStudent` (the planner's own table, so it is freed with the plan whatever happens meanwhile). */
  private async lastEndedEnrollments(): Promise<void> {
    const lastEnded = this.lastEndedByStudent;
    if (this.roster.modes.enrollments === 'absent') return;
    const today = this.context.today;
    for await (const enrollment of this.roster.enrollments.rows()) {
      if (enrollment.role !== 'student') continue;
      const seen = lastEnded.get(enrollment.userSourcedId);
      if (seen === null) continue; // an open enrollment: stays so
      // One that has not begun is open too: a class of next school year, over the summer.
      if (!enrollment.ended) lastEnded.set(enrollment.userSourcedId, null);
      else {
        // Deleted before its end date: it ends today, not on a day still to come.
        const end = enrollment.endDate !== undefined && enrollment.endDate < today ? enrollment.endDate : today;
        if (seen === undefined || end > seen) lastEnded.set(enrollment.userSourcedId, end);
      }
    }
  }

  private lastEnded(sourcedId: string): string | undefined {
    return this.lastEndedByStudent.get(sourcedId) ?? undefined;
  }

  /**
   * Plans the groups and keeps each student's memberships as they will be (the mirror on the
   * student): only ids are kept of a planned group, not the document, which went to the sink.
   */
  private async groups(): Promise<void> {
    const mirror = this.mirror;
    const leavers = this.leaverIds();
    // Groups made through the API are not the file's, but a student who leaves leaves them too.
    for (const group of this.snapshot.unsourcedGroups) {
      const staying = group.closedAt === undefined ? group.studentIds.filter((id) => !leavers.has(id)) : group.studentIds;
      mirror.add(staying.length === group.studentIds.length ? group : await this.update('enrollments', 'group', null, group, { studentIds: staying }));
    }
    const classesTouched = this.roster.modes.classes !== 'absent' || this.roster.modes.enrollments !== 'absent';
    if (!classesTouched && leavers.size === 0) {
      for (const group of this.snapshot.groups.values()) mirror.add(group);
      return;
    }
    try {
      const members = await this.members();
      for (const sourcedId of this.groupSourcedIds()) {
        const existing = this.snapshot.groups.get(sourcedId);
        const row = this.roster.classes.get(sourcedId);
        if (!row && !existing) continue;
        // Neither classes nor enrollments in the file: only the groups a leaver leaves are planned.
        if (!classesTouched && !members.has(sourcedId)) {
          if (existing) mirror.add(existing);
          continue;
        }
        const closes =
          this.roster.deletedClasses.has(sourcedId) ||
          (!row && this.roster.modes.classes === 'bulk') ||
          (row !== undefined && this.classEnded(row)) ||
          (existing?.closedAt !== undefined && !row);
        // An open group whose class a rejected row names stays open (and keeps its members).
        const held = existing !== undefined && existing.closedAt === undefined && this.heldClasses.has(sourcedId);
        if (closes && held) this.result.changes.classes.kept += 1;
        const closed = closes && !held;
        // A bulk enrollments file is every membership: a class it does not mention has none.
        const changed = members.get(sourcedId) ?? (this.roster.modes.enrollments === 'bulk' ? this.groupMembers() : undefined);
        members.delete(sourcedId); // planned now (its members stay in the pool until every group is)
        if (changed && existing && !closed) this.keepHeldMembers(changed, existing, held);
        const teacherIds = closed ? [] : changed ? [...changed.teachers].sort() : (existing?.teacherIds ?? []);
        const studentIds = closed ? [] : changed ? [...changed.students].sort() : (existing?.studentIds ?? []);
        const wanted = {
          name: row?.title ?? existing?.name ?? '',
          schoolId: row ? this.schoolIdOf(row.schoolSourcedId) : (existing?.schoolId ?? ''),
          teacherIds,
          studentIds,
          // Terms a delta's sessions do not list give no year: the stored one stays.
          schoolYear: row ? (this.schoolYearOf(row) ?? (this.roster.modes.academicSessions === 'bulk' ? undefined : existing?.schoolYear)) : existing?.schoolYear,
          closedAt: closed ? (existing?.closedAt ?? this.context.today) : undefined,
        };
        const file: RosterFileKey = row || this.roster.modes.classes !== 'absent' ? 'classes' : 'enrollments';
        if (!existing) {
          const doc: SnapshotGroup = {
            id: derivedId(this.context.municipalityId, 'group', sourcedId),
            type: 'group',
            municipalityId: this.context.municipalityId,
            sourcedId,
            ...withoutUndefined(wanted),
            createdAt: this.context.now,
            updatedAt: this.context.now,
          } as SnapshotGroup;
          await this.write(file, 'group', row?.line ?? null, closed ? 'closed' : 'created', Object.keys(withoutUndefined(wanted)), { op: 'create', doc });
          mirror.add(doc);
          continue;
        }
        const next = await this.update(file, 'group', row?.line ?? null, existing, wanted, closed && existing.closedAt === undefined ? 'closed' : 'updated');
        mirror.add(next);
      }
    } finally {
      this.memberPool.clear(); // the members are in the planned groups now
    }
  }

  /** Every group to plan, once: the stored ones, then the file's new classes (not a set of both: they grow with the roster). */
  private *groupSourcedIds(): Generator<string> {
    yield* this.snapshot.groups.keys();
    for (const sourcedId of this.roster.classes.keys()) if (!this.snapshot.groups.has(sourcedId)) yield sourcedId;
  }

  /** Members per class from the enrollments (bulk: the file's; delta: the stored ones with the file's changes), active students only. */
  private async members(): Promise<Map<string, GroupMembers>> {
    const byClass = new Map<string, GroupMembers>();
    const entry = (classId: string) => {
      let found = byClass.get(classId);
      if (!found) {
        // Only a bulk file is every membership; otherwise the stored members are the starting point.
        const existing = this.roster.modes.enrollments !== 'bulk' ? this.snapshot.groups.get(classId) : undefined;
        found = this.groupMembers(existing, classId);
        byClass.set(classId, found);
      }
      return found;
    };
    // Removals first, then additions: a membership another row of the file grants is kept whatever the rows' order
    // (an open enrollment and an earlier, ended one in the same class), and a swap in a full group fits.
    for (const removing of [true, false]) {
      if (!removing) this.leaversLeave(entry, byClass);
      for await (const enrollment of this.roster.enrollments.rows()) {
        if (enrollment.future) continue; // a membership from its begin date, by the import after it
        if (enrollment.role === 'teacher') {
          if (enrollment.ended !== removing) continue;
          const teacher = this.staffIds.get(enrollment.userSourcedId) ?? this.storedStaff(enrollment.userSourcedId);
          if (!teacher && this.erasedStaff.has(enrollment.userSourcedId)) continue; // rejected with its users.csv row
          if (enrollment.ended) {
            // Ending a membership needs no teacher role (one who became an administrator leaves the class).
            if (teacher) {
              entry(enrollment.classSourcedId).teachers.delete(teacher.id);
              this.endedMembership(enrollment.classSourcedId, teacher.id);
            }
            continue;
          }
          if (this.refusedStaff.has(enrollment.userSourcedId)) {
            this.reject('enrollments', enrollment.line, 'userSourcedId', 'refers to a user whose users.csv row was rejected');
            continue;
          }
          const group = entry(enrollment.classSourcedId);
          if (!teacher?.teaches) {
            // The user is held (kept in the groups they are in); the class is not: an admin who also teaches, whose
            // roles a file never changes, would otherwise hold their class open with its members every year.
            this.reject('enrollments', enrollment.line, 'userSourcedId', 'enrols as teacher a user without the teacher role');
            this.heldUsers.add(enrollment.userSourcedId);
            continue;
          }
          if (group.teachers.size >= ROSTER_LIMITS.maxGroupMembers) this.rejectOverLimit(enrollment, 'teachers');
          else group.teachers.add(teacher.id);
          continue;
        }
        const student = this.studentIds.member(enrollment.userSourcedId);
        if (!student) {
          if (removing) continue;
          const stored = this.roster.modes.users === 'absent' ? this.snapshot.students.get(enrollment.userSourcedId) : undefined;
          if (stored && this.erasing('student', stored)) {
            this.reject('enrollments', enrollment.line, 'userSourcedId', 'refers to a person whose erasure is under way, who is not imported again while it runs');
          }
          continue;
        }
        if ((enrollment.ended || !student.active) !== removing) continue;
        const group = entry(enrollment.classSourcedId);
        if (removing) {
          group.students.deleteOrdinal(student.ordinal);
          // Only a held student, or one of a held class, can be put back (`keepHeldMembers`); teachers are few, students many.
          if (enrollment.ended && (this.heldUsers.has(enrollment.userSourcedId) || this.heldClasses.has(enrollment.classSourcedId))) this.endedMembership(enrollment.classSourcedId, this.studentIds.get(enrollment.userSourcedId)?.id);
        } else if (group.students.size >= ROSTER_LIMITS.maxGroupMembers) this.rejectOverLimit(enrollment, 'students');
        else group.students.addOrdinal(student.ordinal);
      }
    }
    await this.endedMembershipsOfHeldLater();
    return byClass;
  }

  /** Students the additions held (a group over its limit): their ended enrollments, read again, are not put back by that hold either. */
  private async endedMembershipsOfHeldLater(): Promise<void> {
    if (this.heldByAdditions.size === 0) return;
    for await (const enrollment of this.roster.enrollments.rows()) {
      if (enrollment.role !== 'student' || !enrollment.ended || !this.heldByAdditions.has(enrollment.userSourcedId)) continue;
      this.endedMembership(enrollment.classSourcedId, this.studentIds.get(enrollment.userSourcedId)?.id);
    }
  }

  /** A student who leaves leaves every group, also one the file did not mention (before the file's additions, which a leaver's place may make room for). */
  private leaversLeave(entry: (classId: string) => GroupMembers, byClass: ReadonlyMap<string, GroupMembers>): void {
    const leavers = this.leaverIds();
    if (leavers.size === 0) return;
    for (const [classId, existing] of this.snapshot.groups) {
      if (existing.studentIds.some((id) => leavers.has(id))) entry(classId);
    }
    for (const group of byClass.values()) group.students.deleteAll(leavers);
  }

  /** A group's members to build: the stored ones (a delta's starting point), with room for the file's enrollments in its class. */
  private groupMembers(existing?: SnapshotGroup, classSourcedId?: string): GroupMembers {
    const room = (role: 'teacher' | 'student') => (classSourcedId === undefined ? 0 : this.roster.enrollments.rowsIn(classSourcedId, role));
    return {
      teachers: new MemberSet(this.memberIds, this.memberPool, existing?.teacherIds, room('teacher')),
      students: new MemberSet(this.memberIds, this.memberPool, existing?.studentIds, room('student')),
    };
  }

  /** An enrollment past the group's limit is a rejected row like any: its user is held (not removed from the groups they are in). */
  private rejectOverLimit(enrollment: { line: number; userSourcedId: string }, members: 'teachers' | 'students'): void {
    this.reject('enrollments', enrollment.line, 'classSourcedId', `holds more than ${ROSTER_LIMITS.maxGroupMembers} ${members}`);
    this.heldUsers.add(enrollment.userSourcedId);
    if (members === 'students') this.heldByAdditions.add(enrollment.userSourcedId);
  }

  /** Students first held while memberships were added (past a group's limit), after their ended enrollments were read. */
  private readonly heldByAdditions = new Set<string>();

  /** Memberships an ended or deleted enrollment took away: a hold does not put them back (that row was read, and says so). */
  private readonly endedMemberships = new Map<string, Set<string>>();

  private endedMembership(classSourcedId: string, memberId: string | undefined): void {
    if (memberId === undefined) return;
    const ended = this.endedMemberships.get(classSourcedId) ?? new Set<string>();
    this.endedMemberships.set(classSourcedId, ended.add(memberId));
  }

  /**
   * Members the directory holds that this run's rules would remove, put back when a rejected
   * row names them or the group: every stored member of a held group, a held user in any
   * group. A student who leaves in this run still leaves every group. Never past the group's
   * limit: the file's own members come first.
   */
  private keepHeldMembers(members: GroupMembers, existing: SnapshotGroup, groupHeld: boolean): void {
    const heldIds = this.heldMemberIds();
    const ended = this.endedMemberships.get(existing.sourcedId ?? '');
    const max = ROSTER_LIMITS.maxGroupMembers;
    let kept = false;
    for (const id of existing.teacherIds) {
      if (members.teachers.size >= max) break;
      if (members.teachers.has(id) || !(groupHeld || heldIds.has(id)) || ended?.has(id)) continue;
      members.teachers.add(id);
      kept = true;
    }
    for (const id of existing.studentIds) {
      if (members.students.size >= max) break;
      if (members.students.has(id) || !(groupHeld || heldIds.has(id)) || this.leaverIds().has(id) || ended?.has(id)) continue;
      members.students.add(id);
      kept = true;
    }
    if (kept) this.result.changes.enrollments.kept += 1;
  }

  private heldMemberIdsCache?: Set<string>;

  /** Document ids of the stored staff and students a rejected row names. */
  private heldMemberIds(): Set<string> {
    if (!this.heldMemberIdsCache) {
      this.heldMemberIdsCache = new Set<string>();
      for (const sourcedId of this.heldUsers) {
        const stored = this.snapshot.users.get(sourcedId) ?? this.snapshot.students.get(sourcedId);
        if (stored) this.heldMemberIdsCache.add(stored.id);
      }
    }
    return this.heldMemberIdsCache;
  }

  private leaverIdsCache?: Set<string>;

  /** Students who are not active after this run (leavers leave every group). */
  private leaverIds(): Set<string> {
    if (!this.leaverIdsCache) {
      this.leaverIdsCache = new Set<string>();
      for (const student of this.studentIds.values()) if (!student.active) this.leaverIdsCache.add(student.id);
    }
    return this.leaverIdsCache;
  }

  /**
   * Whether an erasure covers a stored person: tombstoned, or their document named by an
   * instruction whose tombstone has not landed yet (an acceptance that stopped part way leaves
   * it to the erasure's orchestration, which may run much later). By the document's id only:
   * a person registered through the API again after an erasure has their login identity, not
   * their id, and is theirs to link.
   */
  private erasing(kind: 'student' | 'user', stored: SnapshotStudent | SnapshotUser): boolean {
    return stored.erasureId !== undefined || this.context.erased(kind, { id: stored.id });
  }

  private storedStaff(sourcedId: string): { id: string; teaches: boolean } | undefined {
    const user = this.snapshot.users.get(sourcedId);
    return user && !this.erasing('user', user) ? { id: user.id, teaches: user.roles.includes('teacher') } : undefined;
  }

  /** A class has ended when every term it runs in has. */
  private classEnded(row: ClassRow): boolean {
    const terms = row.terms.map((term) => this.roster.sessions.get(term)).filter((term) => term !== undefined);
    return terms.length > 0 && terms.every((term) => term.endDate < this.context.today);
  }

  /** OneRoster's schoolYear is the year the school year ends in: 2027 -> 2026-2027. */
  private schoolYearOf(row: ClassRow): string | undefined {
    for (const term of row.terms) {
      let session = this.roster.sessions.get(term);
      for (let depth = 0; session && depth < 5; depth += 1) {
        const year = session.schoolYear ?? (session.type === 'schoolYear' ? session.endDate.slice(0, 4) : undefined);
        if (year) return `${Number(year) - 1}-${year}`;
        session = session.parentSourcedId ? this.roster.sessions.get(session.parentSourcedId) : undefined;
      }
    }
    return undefined;
  }

  private async students(targets: SourcedIdSubset): Promise<void> {
    const membership = (id: string) => this.mirror.of(id);
    for (const user of this.roster.users.values()) {
      if (!targets.has(user.sourcedId)) continue;
      const existing = this.snapshot.students.get(user.sourcedId);
      const target = this.studentIds.get(user.sourcedId);
      if (!target) continue;
      const leftAt = target.active ? undefined : (existing?.leftAt ?? this.lastEnded(user.sourcedId) ?? this.context.today);
      const wanted = {
        sourcedId: user.sourcedId,
        givenName: user.givenName,
        familyName: user.familyName,
        birthDate: this.roster.birthDates.get(user.sourcedId) ?? existing?.birthDate ?? '',
        schoolId: user.schools[0] === undefined ? (existing?.schoolId ?? '') : this.schoolIdOf(user.schools[0]),
        yearLevel: user.yearLevel ?? existing?.yearLevel ?? 1,
        status: target.active ? ('active' as const) : ('leaver' as const),
        leftAt,
        ...membership(target.id),
      };
      if (!existing) {
        const doc: SnapshotStudent = {
          id: target.id,
          type: 'student',
          municipalityId: this.context.municipalityId,
          ...(withoutUndefined(wanted) as typeof wanted),
          createdAt: this.context.now,
          updatedAt: this.context.now,
        };
        await this.write('users', 'student', user.line, target.active ? 'created' : 'leaver', Object.keys(withoutUndefined(wanted)), { op: 'create', doc });
        continue;
      }
      await this.update('users', 'student', user.line, existing, wanted, existing.status === 'active' && !target.active ? 'leaver' : 'updated');
    }
    // Students the file does not list: leavers when a bulk file or a deletion says so, and their group mirror.
    for (const sourcedId of this.snapshot.students.keys()) {
      if (targets.has(sourcedId)) continue;
      const existing = this.snapshot.students.get(sourcedId);
      if (!existing || this.erasing('student', existing)) continue;
      const target = this.studentIds.get(sourcedId);
      if (!target) continue;
      const wanted = {
        status: target.active ? existing.status : ('leaver' as const),
        leftAt: target.active ? existing.leftAt : (existing.leftAt ?? this.context.today),
        ...membership(existing.id),
      };
      const file: RosterFileKey = existing.status === 'active' && !target.active ? 'users' : 'enrollments';
      await this.update(file, 'student', null, existing, wanted, existing.status === 'active' && !target.active ? 'leaver' : 'updated');
    }
    // Students made through the API are not the file's, but the groups it changed may list them: their mirror follows.
    for (const [, existing] of this.snapshot.unsourcedStudents) {
      if (this.erasing('student', existing)) continue;
      const wanted = membership(existing.id);
      if (sameMembers(existing.groupIds, wanted.groupIds) && sameMembers(existing.teacherIds, wanted.teacherIds)) continue;
      await this.update('enrollments', 'student', null, existing, wanted);
    }
  }

  /** Plans a replace when any roster-owned field differs from the stored document; returns the document as it will be. */
  private async update<T extends { id: string; _etag?: string; updatedAt: string }>(
    file: RosterFileKey,
    kind: ChangeSample['kind'],
    line: number | null,
    existing: T,
    wanted: Record<string, unknown>,
    change: 'updated' | 'leaver' | 'closed' = 'updated',
  ): Promise<T> {
    const record = existing as unknown as Record<string, unknown>;
    const fields = Object.keys(wanted).filter((key) => !sameValue(record[key], wanted[key]));
    if (fields.length === 0) {
      this.result.changes[file].unchanged += 1;
      return existing;
    }
    const next: Record<string, unknown> = { ...record, updatedAt: this.context.now };
    for (const key of fields) {
      if (wanted[key] === undefined) delete next[key];
      else next[key] = wanted[key];
    }
    delete next._etag;
    for (const system of ['_rid', '_self', '_ts', '_attachments']) delete next[system];
    await this.write(file, kind, line, change, fields, { op: 'replace', doc: next as PlanDocument, etag: existing._etag ?? '' });
    return next as unknown as T;
  }

  private async write(file: RosterFileKey, kind: ChangeSample['kind'], line: number | null, change: Exclude<ChangeKind, 'unchanged'>, fields: string[], op: PlanOp): Promise<void> {
    await this.sink(op);
    this.result.changes[file][change] += 1;
    const key = `${kind}:${change}`;
    const count = this.sampled.get(key) ?? 0;
    if (count < ROSTER_LIMITS.sampleRows) {
      this.sampled.set(key, count + 1);
      this.result.samples.push({ file: ROSTER_FILES[file].file, line, kind, change, fields });
    }
  }

  private reject(file: RosterFileKey, line: number, column: string, reason: string): void {
    this.result.rejectedByFile[file] = (this.result.rejectedByFile[file] ?? 0) + 1;
    this.result.rejections.push({ file: ROSTER_FILES[file].file, line, column, reason });
  }
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}

/** The same ids in any order (the API may have written a student's mirror in its own order). */
function sameMembers(stored: readonly string[] | undefined, wanted: readonly string[]): boolean {
  const ids = new Set(stored ?? []);
  return ids.size === wanted.length && wanted.every((id) => ids.has(id));
}

function sameValue(left: unknown, right: unknown): boolean {
  if (Array.isArray(left) && Array.isArray(right)) return left.length === right.length && left.every((item, index) => item === right[index]);
  return left === right;
}
