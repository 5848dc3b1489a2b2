import type { RosterArchive } from './roster-archive.js';
import { EnrollmentTable } from './roster-enrollments.js';
import { SourcedIdSet } from './roster-id-set.js';
import { RecordTable } from './roster-record-table.js';
import { SeenIds } from './roster-seen-ids.js';
import { RosterArchiveRefused } from './roster-refusal.js';
import { CLASS_ROWS, DATES, USER_DETAILS, USER_ROWS } from './roster-row-codecs.js';
import * as field from './roster-fields.js';
import type { Checked, Rejection } from './roster-fields.js';
import { missingColumns, readColumns, ROSTER_FILES, type RosterFileKey } from './roster-files.js';
import { ROSTER_LIMITS } from './roster-limits.js';
import type { RosterModes } from './roster-manifest.js';
import { isFileRole, type StaffRole } from './roster-roles.js';

export interface SchoolRow {
  line: number;
  sourcedId: string;
  name: string;
  organisationNumber: string | undefined;
}

export interface SessionRow {
  sourcedId: string;
  type: string;
  endDate: string;
  schoolYear: string | undefined;
  parentSourcedId: string | undefined;
}

export type { StaffRole } from './roster-roles.js';

export interface UserRow {
  line: number;
  sourcedId: string;
  givenName: string;
  familyName: string;
  /** student, or the staff roles this file may grant; other OneRoster roles (parents, guardians...) are not imported. */
  kind: 'student' | 'staff';
  /** None: a delta's row of a stored staff user without roles rows, whose roles did not change (the stored ones stay). */
  staffRoles: StaffRole[];
  /** Schools of this municipality the user belongs to, in file order (the primary org first); none: a delta's row of a stored user that names no org (the stored schools stay). */
  schools: string[];
  email: string | undefined;
  identitySubject: string | undefined;
  yearLevel: number | undefined;
  /**
   * Stored staff in a delta whose users.csv has no `orgSourcedIds` (OneRoster 1.2): `schools` are
   * their schools after it (by sourcedId: the planner keeps those registered through the API),
   * `endedSchools` the stored ones it takes away. A 1.1 row lists all of a user's orgs, and a
   * bulk file all of their roles.
   */
  addsSchools: boolean;
  endedSchools: string[];
}

/** What users.csv and roles.csv say of a user until it is checked; dropped then, so only the checked row stays per user. */
export interface UserDetails {
  /** OneRoster's `grades` as written; checked once the user is known to be a student. */
  grades: string | undefined;
  /** The file's own `role` (1.1 layout) or the roles rows. */
  roleNames: Set<string>;
  orgIds: string[];
  primaryOrg: string | undefined;
  /** Each staff role of roles.csv with its org (`org role`): the directory holds one set of roles for all of a user's schools. */
  staffRolesAt: string[];
  /** Why a name was refused (`column reason`), reported only if the user is one to import: a guardian's name is not ours to judge. */
  refusedName: string | undefined;
  /** `enabledUser` false: an account the school has disabled, never given a login here. */
  disabled: boolean;
  /** Staff roles rows that have ended or are deleted, as `org role` (a delta's way to take a role or a school away). */
  endedStaffRolesAt: string[];
  /** Roles rows that have not begun, as `primary|secondary org role`: used only when the user has no role now. */
  futureRoles: string[];
}

export interface ClassRow {
  line: number;
  sourcedId: string;
  title: string;
  schoolSourcedId: string;
  terms: string[];
}

export interface FileTally {
  read: number;
  rejected: number;
}

/**
 * A OneRoster set as read and checked, row by row: what is valid, what the file deletes
 * (`tobedeleted`), and every rejected row with file, line, column and reason. References
 * across files are checked here; references to what a delta does not repeat are checked by
 * the planner against the directory.
 */
export interface Roster {
  modes: RosterModes;
  schools: Map<string, SchoolRow>;
  /** Schools of another municipality (their district names another kommunenummer). */
  foreignSchools: Set<string>;
  /** Orgs of orgs.csv that are not schools (districts, departments): never a user's school. */
  otherOrgs: Set<string>;
  /** Staff whose account the school disabled (`enabledUser` false): not imported, and their rows elsewhere not refused. */
  disabledStaff: Set<string>;
  /** A delta in OneRoster 1.2's layout: a staff row and its roles rows say what changed of a stored account, not all of it. */
  staffRowsChangeStored: boolean;
  sessions: Map<string, SessionRow>;
  /**
   * Every user sourcedId the roster keeps something of, each once: the tables of users (here,
   * and the planner's) and the enrollments number users by it.
   */
  userIds: SourcedIdSet;
  /** Users, birth dates and classes are held as encoded rows off the V8 heap (`RecordTable`): they grow with the roster. */
  users: RecordTable<UserRow>;
  deletedUsers: Set<string>;
  birthDates: RecordTable<string>;
  classes: RecordTable<ClassRow>;
  deletedClasses: Set<string>;
  enrollments: EnrollmentTable;
  /**
   * The users and classes a rejected row names. A rejected row means "we could not read
   * this", not "this is gone": the planner keeps what the directory holds of them as it is
   * (no leaver, no closing, no membership removed).
   */
  held: { users: Set<string>; classes: Set<string> };
  tallies: Record<RosterFileKey, FileTally>;
  rejections: Rejection[];
  rejected: number;
}

/** What the directory holds of a staff user that a delta's roles rows change. */
export interface StoredStaff {
  /** The sourcedIds of their schools. */
  schools: readonly string[];
  /** Their schools registered through the API (no sourcedId): they keep the stored roles. */
  unsourcedSchools: number;
  /** Their roles that a file grants (teacher, school-admin). */
  roles: readonly StaffRole[];
  /** A municipality or data admin, whose roles a file never changes. */
  admin: boolean;
}

export interface ReadContext {
  municipalityId: string;
  today: string;
  /** The `userIds` type that holds the login identity (e.g. Feide). */
  identityType: string;
  /** Whether a sourcedId names something of this kind in the directory already (a delta may refer to it). */
  known: (kind: 'school' | 'user' | 'group', sourcedId: string) => boolean;
  /** What the directory holds under a user's sourcedId, when the users file is a delta: its row may come without roles (they did not change). */
  storedUser: (sourcedId: string) => 'student' | 'staff' | undefined;
  /** A stored staff user, when the users file is a delta (a 1.2 row changes their roles and schools, not replaces them). */
  storedStaff: (sourcedId: string) => StoredStaff | undefined;
  /** The schools (sourcedIds) of a stored user or group, for an enrollment that names one the file does not list. */
  storedSchools: (kind: 'user' | 'group', sourcedId: string) => readonly string[] | undefined;
  listedRejections: number;
}

/**
 * Rejects the row for a column; `failed` once it has rejected it for any. A rejection holds the
 * users and classes the row names unless `holds` is false: a row refused only because the user
 * or class it refers to is not in a bulk file, which says that record is gone.
 */
type Rejecter = ((column: string, reason: string, holds?: boolean) => void) & { failed: boolean };

/** The columns by which a row of each file names a user or a class (what a rejected row of it holds back). */
const NAMING_COLUMNS: Partial<Record<RosterFileKey, { users?: readonly string[]; classes?: readonly string[] }>> = {
  users: { users: ['sourcedId'] },
  roles: { users: ['userSourcedId'] },
  demographics: { users: ['sourcedId'] },
  classes: { classes: ['sourcedId'] },
  enrollments: { users: ['userSourcedId'], classes: ['classSourcedId'] },
};

/**
 * The roles a file may grant. `administrator` is OneRoster 1.1's; 1.2 names a school's
 * administrator `siteAdministrator` and has `principal`. Its `districtAdministrator` and
 * `systemAdministrator` are not here: a file never grants the municipality's roles.
 */
const STAFF_ROLES: Record<string, StaffRole> = { teacher: 'teacher', administrator: 'school-admin', siteAdministrator: 'school-admin', principal: 'school-admin' };
const SCHOOL_ORG_TYPES = new Set(['school']);
const DISTRICT_ORG_TYPES = new Set(['district', 'local', 'municipality']);

/**
 * The kommunenummer of the nearest district above an org (`''` when that district has none),
 * `undefined` when no district is above it in the file, `refused` when an org on the way was
 * rejected, `loop` when the parents lead back to an org already passed.
 */
function districtAbove(org: string, parents: ReadonlyMap<string, string>, districts: ReadonlyMap<string, string>, refused: ReadonlySet<string>): string | 'refused' | 'loop' | undefined {
  const passed = new Set([org]);
  for (let parent = parents.get(org); parent; parent = parents.get(parent)) {
    if (refused.has(parent) && !parents.has(parent)) return 'refused';
    const district = districts.get(parent);
    if (district !== undefined) return district;
    if (passed.has(parent)) return 'loop';
    passed.add(parent);
  }
  return undefined;
}

/** Adds a roles row to a user's details (`same`: it adds nothing they did not have). */
function addRole(user: UserDetails, role: string, org: string, primary: boolean): 'added' | 'same' | 'too-many' {
  const newRole = !user.roleNames.has(role);
  const newOrg = !user.orgIds.includes(org);
  const staffRoleAt = STAFF_ROLES[role] ? `${org} ${role}` : undefined;
  const newStaffRoleAt = staffRoleAt !== undefined && !user.staffRolesAt.includes(staffRoleAt);
  if (!newRole && !newOrg && !newStaffRoleAt && !primary) return 'same';
  if ((newRole && user.roleNames.size >= ROSTER_LIMITS.maxRolesPerUser) || (newOrg && user.orgIds.length >= ROSTER_LIMITS.maxRolesPerUser)) return 'too-many';
  user.roleNames.add(role);
  if (primary) user.orgIds = [org, ...user.orgIds.filter((known) => known !== org)];
  else if (newOrg) user.orgIds.push(org);
  if (newStaffRoleAt) user.staffRolesAt.push(staffRoleAt);
  return 'added';
}

/**
 * A stored staff user's schools and roles after a delta in OneRoster 1.2's layout: per school,
 * the stored roles (at each stored school) less those the delta ends there, plus those it gives
 * there. The directory holds one list of roles for all of a user's schools, so every school left
 * must have the same ones (`null` when not: a teacher at one would administer another); schools
 * registered through the API keep the stored roles. An admin's roles a file never changes, so
 * their stored schools stay unless every staff role there ends.
 */
function staffAfterDelta(details: UserDetails, ours: readonly string[], stored: StoredStaff): { schools: string[]; roles: StaffRole[]; ended: string[] } | null {
  const storedRoles: readonly string[] = stored.roles.length > 0 || !stored.admin ? stored.roles : ['admin'];
  const after = new Map<string, Set<string>>();
  for (const school of new Set([...stored.schools, ...ours])) {
    const roles = new Set(stored.schools.includes(school) ? storedRoles : []);
    for (const role of rolesAt(details.endedStaffRolesAt, school)) roles.delete(role);
    for (const role of rolesAt(details.staffRolesAt, school)) roles.add(role);
    if (roles.size > 0) after.set(school, roles);
  }
  const lists = new Set([...after.values()].map((roles) => [...roles].sort().join(' ')));
  if (stored.unsourcedSchools > 0) lists.add([...storedRoles].sort().join(' '));
  if (lists.size > 1 && !stored.admin) return null;
  const [roles = new Set<string>()] = after.values();
  return {
    schools: [...after.keys()],
    roles: [...roles].filter(isFileRole).sort(),
    ended: stored.schools.filter((school) => !after.has(school)),
  };
}

/**
 * A pupil with no role now is taken as the student roles still to come make them (the summer
 * between an ended role and next year's): otherwise a bulk file would make them a leaver. Not
 * staff, whose access waits for the day their role begins (a stored one is left as they are).
 */
function studentRolesToCome(user: UserDetails): void {
  if (user.roleNames.size > 0) return;
  for (const future of user.futureRoles) {
    const [kind = '', ...rest] = future.split(' ');
    const role = rest.pop() ?? '';
    if (role === 'student') addRole(user, role, rest.join(' '), kind === 'primary');
  }
}

/** The roles a file grants that these `org role` entries give at one school. */
function rolesAt(entries: readonly string[], school: string): StaffRole[] {
  return entries.filter((entry) => entry.startsWith(`${school} `)).flatMap((entry) => STAFF_ROLES[entry.slice(school.length + 1)] ?? []);
}

/** The staff roles roles.csv gives the user at a school, as one comparable text (1.1's `administrator` and 1.2's `principal` are one). */
function staffRolesAtSchool(details: UserDetails, school: string): string {
  return [...new Set(rolesAt(details.staffRolesAt, school))].sort().join(' ');
}

/** The schools where roles.csv gives the user a staff role (all of them in the 1.1 layout, whose roles apply to every org). */
function staffSchools(details: UserDetails, schools: readonly string[]): string[] {
  return details.staffRolesAt.length === 0 ? [...schools] : schools.filter((school) => staffRolesAtSchool(details, school) !== '');
}

/** Whether the user has the same staff roles at each of these schools: the directory holds one list of roles for all of them. */
function sameStaffRolesAtEachSchool(details: UserDetails, schools: readonly string[]): boolean {
  if (details.staffRolesAt.length === 0 || schools.length < 2) return true;
  const first = staffRolesAtSchool(details, schools[0] ?? '');
  return schools.every((school) => staffRolesAtSchool(details, school) === first);
}

export async function readRoster(archive: RosterArchive, modes: RosterModes, context: ReadContext): Promise<Roster> {
  const userIds = new SourcedIdSet();
  const roster: Roster = {
    modes,
    schools: new Map(),
    foreignSchools: new Set(),
    otherOrgs: new Set(),
    disabledStaff: new Set(),
    staffRowsChangeStored: false,
    sessions: new Map(),
    userIds,
    users: new RecordTable(USER_ROWS, { ids: userIds, spilled: true }),
    deletedUsers: new Set(),
    birthDates: new RecordTable(DATES, { ids: userIds, spilled: true }),
    classes: new RecordTable(CLASS_ROWS),
    deletedClasses: new Set(),
    enrollments: new EnrollmentTable(userIds),
    held: { users: new Set(), classes: new Set() },
    tallies: Object.fromEntries(Object.keys(ROSTER_FILES).map((key) => [key, { read: 0, rejected: 0 }])) as Record<RosterFileKey, FileTally>,
    rejections: [],
    rejected: 0,
  };
  const reader = new FileReader(archive, roster, context);
  try {
    await reader.orgs();
    await reader.sessions();
    await reader.users();
    await reader.roles();
    reader.checkUsers();
    await reader.demographics();
    await reader.classes();
    await reader.enrollments();
  } catch (error) {
    try {
      discardRoster(roster); // the planner, which frees it otherwise, will not run
    } catch {
      // the error to report is the reading's
    }
    throw error;
  }
  return roster;
}

/** Frees what a roster holds off the heap and on disk (its tables, their files and the enrollment spill); its tallies and rejections stay. */
export function discardRoster(roster: Roster): void {
  // Each is freed even when freeing another fails (a file that will not close); the first failure is reported.
  const failures: unknown[] = [];
  for (const free of [() => roster.users.clear(), () => roster.birthDates.clear(), () => roster.classes.clear(), () => roster.userIds.clear(), () => roster.enrollments.discard()]) {
    try {
      free();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}

class FileReader {
  private readonly details: RecordTable<UserDetails>;
  /** users.csv in OneRoster 1.1's layout: each row names every org of its user. */
  private usersListEveryOrg = false;
  /** Users whose users.csv row was rejected. */
  private readonly refusedUsers = new Set<string>();

  constructor(
    private readonly archive: RosterArchive,
    private readonly roster: Roster,
    private readonly context: ReadContext,
  ) {
    this.details = new RecordTable(USER_DETAILS, { ids: roster.userIds });
  }

  async orgs(): Promise<void> {
    const districts = new Map<string, string>();
    /** Each org's parent: a school's municipality is that of the nearest district above it, not only of its own parent (a branch under a school). */
    const parents = new Map<string, string>();
    /** Orgs whose row was rejected: a school under one cannot be placed in a municipality. */
    const refused = new Set<string>();
    const schools: { line: number; row: Record<string, string> }[] = [];
    for await (const { line, record, reject, seen } of this.rows('orgs')) {
      const id = this.check(reject, 'sourcedId', field.sourcedId(record.sourcedId));
      const state = id === undefined || !seen(id) ? undefined : this.check(reject, 'status', field.status(record.status));
      if (reject.failed || id === undefined || state === undefined) {
        if (id !== undefined) refused.add(id);
        continue;
      }
      const type = (record.type ?? '').trim();
      parents.set(id, (record.parentSourcedId ?? '').trim());
      if (!SCHOOL_ORG_TYPES.has(type)) this.roster.otherOrgs.add(id);
      if (DISTRICT_ORG_TYPES.has(type)) districts.set(id, (record.identifier ?? '').trim());
      else if (SCHOOL_ORG_TYPES.has(type)) {
        if (state === 'tobedeleted') continue; // schools are never deleted by a file: their records stay with them
        schools.push({ line, row: record });
      }
    }
    for (const { line, row } of schools) {
      const reject = this.rejecter('orgs', line);
      const id = (row.sourcedId ?? '').trim();
      const above = districtAbove(id, parents, districts, refused);
      if (above === 'refused') {
        // Its district may be another municipality's: taken as ours, its pupils would be imported here.
        reject('parentSourcedId', 'refers to an org whose own row was rejected, or is under one');
        continue;
      }
      if (above === 'loop') {
        reject('parentSourcedId', 'leads to an org that is its own parent, so the school has no district');
        continue;
      }
      if (above === '') {
        reject('parentSourcedId', 'is under a district whose identifier (its kommunenummer) is empty, so it cannot be placed in a municipality');
        continue;
      }
      if (above !== undefined && above !== this.context.municipalityId) {
        this.roster.foreignSchools.add(id);
        reject('parentSourcedId', 'is a school not in this municipality (its district has another kommunenummer)');
        continue;
      }
      const schoolName = this.check(reject, 'name', field.name(row.name, 200));
      const organisationNumber = this.check(reject, 'identifier', field.organisationNumber(row.identifier));
      if (reject.failed || schoolName === undefined) continue;
      this.roster.schools.set(id, { line, sourcedId: id, name: schoolName, organisationNumber });
    }
  }

  async sessions(): Promise<void> {
    for await (const { record, reject, seen } of this.rows('academicSessions')) {
      const id = this.check(reject, 'sourcedId', field.sourcedId(record.sourcedId));
      if (id === undefined || !seen(id)) continue;
      const start = this.check(reject, 'startDate', field.date(record.startDate, true));
      const end = this.check(reject, 'endDate', field.date(record.endDate, true));
      if (reject.failed || start === undefined || end === undefined) continue;
      const schoolYear = (record.schoolYear ?? '').trim();
      if (schoolYear && !/^\d{4}$/.test(schoolYear)) {
        reject('schoolYear', 'must be a year (YYYY)');
        continue;
      }
      this.roster.sessions.set(id, { sourcedId: id, type: (record.type ?? '').trim(), endDate: end, schoolYear: schoolYear || undefined, parentSourcedId: (record.parentSourcedId ?? '').trim() || undefined });
    }
  }

  async users(): Promise<void> {
    for await (const { line, record, reject, seen } of this.rows('users')) {
      const id = this.check(reject, 'sourcedId', field.sourcedId(record.sourcedId));
      if (id === undefined || !seen(id)) continue;
      const state = this.check(reject, 'status', field.status(record.status));
      if (reject.failed || state === undefined) continue;
      if (state === 'tobedeleted') {
        this.roster.deletedUsers.add(id);
        continue;
      }
      const givenName = field.name(record.givenName, 100);
      const familyName = field.name(record.familyName, 100);
      const refusedName = !givenName.ok ? `givenName ${givenName.reason}` : !familyName.ok ? `familyName ${familyName.reason}` : undefined;
      this.roster.users.set(id, {
        line,
        sourcedId: id,
        givenName: givenName.ok ? givenName.value : '',
        familyName: familyName.ok ? familyName.value : '',
        kind: 'staff',
        staffRoles: [],
        schools: [],
        email: record.email,
        identitySubject: record.userIds,
        yearLevel: undefined,
        addsSchools: false,
        endedSchools: [],
      });
      this.details.set(id, {
        grades: record.grades,
        roleNames: new Set(field.list(record.role)),
        orgIds: field.list(record.orgSourcedIds),
        primaryOrg: (record.primaryOrgSourcedId ?? '').trim() || undefined,
        staffRolesAt: [],
        refusedName,
        disabled: (record.enabledUser ?? '').trim().toLowerCase() === 'false',
        endedStaffRolesAt: [],
        futureRoles: [],
      });
    }
  }

  /** OneRoster 1.2 keeps each role of a user at an org in roles.csv; an ended role is no role. */
  async roles(): Promise<void> {
    for await (const { record, reject, seen } of this.rows('roles')) {
      const id = this.check(reject, 'sourcedId', field.sourcedId(record.sourcedId));
      if (id === undefined || !seen(id)) continue;
      const state = this.check(reject, 'status', field.status(record.status));
      const end = this.check(reject, 'endDate', field.date(record.endDate, false));
      const begin = this.check(reject, 'beginDate', field.date(record.beginDate, false));
      if (reject.failed || state === undefined) continue;
      const userId = (record.userSourcedId ?? '').trim();
      const user = this.details.get(userId);
      if (!user) {
        // A user whose own row was rejected is reported there (and held), not again here.
        if (!this.roster.deletedUsers.has(userId) && !this.roster.held.users.has(userId)) reject('userSourcedId', 'refers to a user not in users.csv', !this.bulk('users'));
        continue;
      }
      const role = (record.role ?? '').trim();
      const org = (record.orgSourcedId ?? '').trim();
      const primary = (record.roleType ?? '').trim() === 'primary';
      // Each row re-encodes the user's details: unbounded, one user's rows would take quadratic time.
      const tooMany = () => reject('userSourcedId', `gives one user more than ${ROSTER_LIMITS.maxRolesPerUser} roles or orgs`);
      if (state === 'tobedeleted' || (end !== undefined && end < this.context.today)) {
        const ended = `${org} ${role}`;
        if (!STAFF_ROLES[role] || user.endedStaffRolesAt.includes(ended)) continue;
        if (user.endedStaffRolesAt.length >= ROSTER_LIMITS.maxRolesPerUser) tooMany();
        else {
          user.endedStaffRolesAt.push(ended);
          this.details.set(userId, user);
        }
        continue;
      }
      if (begin !== undefined && begin > this.context.today) {
        // One that has not begun is no role yet (as an enrollment): a June export may hold August's roles. It decides
        // only who a user with no role now is: over the summer, a pupil between an ended role and next year's.
        const future = `${primary ? 'primary' : 'secondary'} ${org} ${role}`;
        if (user.futureRoles.includes(future)) continue;
        if (user.futureRoles.length >= ROSTER_LIMITS.maxRolesPerUser) tooMany();
        else {
          user.futureRoles.push(future);
          this.details.set(userId, user);
        }
        continue;
      }
      const added = addRole(user, role, org, primary);
      if (added === 'too-many') tooMany();
      else if (added === 'added') this.details.set(userId, user);
    }
  }

  /** Roles and schools are known now: each user is a student, staff, or not ours to import (each row is a copy: a change is kept by setting it again). */
  checkUsers(): void {
    // A login identity is one person's: two rows with it would be two users of which one could never sign in, or whoever signs in would get the other's roles.
    const staffByIdentity = new Map<string, { sourcedId: string; line: number; refused: boolean }>();
    for (const [id, user] of this.roster.users) {
      const details = this.details.get(id);
      if (!details) continue;
      // A delta's stored user comes without the rows that did not change: having none in it is not having none.
      if (this.context.storedUser(id) === undefined) studentRolesToCome(details);
      // A delta lists a changed user without roles rows when their roles did not change: the directory says who they are.
      const stored = details.roleNames.size === 0 ? this.context.storedUser(id) : undefined;
      const student = details.roleNames.has('student') || stored === 'student';
      const staff = !student && ([...details.roleNames].some((role) => STAFF_ROLES[role] !== undefined) || stored === 'staff');
      // Guardians, parents, aides...: not users of this platform; neither imported nor refused, whatever their names or orgs.
      // Nor staff whose account the school disabled (`enabledUser` false): none is given, and a stored one is left to the admins, as staff a file leaves out.
      if ((!student && !staff) || (staff && details.disabled)) {
        this.roster.users.delete(id);
        if (staff) {
          // Their enrollments are neither imported nor refused either, and a stored one keeps the groups they are in.
          this.roster.disabledStaff.add(id);
          this.roster.held.users.add(id);
        }
        continue;
      }
      const reject = this.rejecter('users', user.line, { sourcedId: id });
      const drop = (column: string, reason: string) => {
        reject(column, reason);
        this.roster.users.delete(id);
      };
      if (details.refusedName !== undefined) {
        const space = details.refusedName.indexOf(' ');
        drop(details.refusedName.slice(0, space), details.refusedName.slice(space + 1));
        continue;
      }
      // A district (a district administrator's org, a primary org) is no school of theirs: not a reason to refuse them either.
      const orgs = [...new Set([details.primaryOrg, ...details.orgIds].filter((org): org is string => org !== undefined && org.length > 0 && !this.roster.otherOrgs.has(org)))];
      const foreign = orgs.filter((org) => this.roster.foreignSchools.has(org));
      const unknown = orgs.filter((org) => !this.roster.foreignSchools.has(org) && !this.roster.schools.has(org) && !this.context.known('school', org));
      const ours = orgs.filter((org) => !foreign.includes(org) && !unknown.includes(org));
      if (foreign.length > 0 && ours.length > 0) {
        drop('sourcedId', 'is a user in two municipalities (schools of this one and of another)');
        continue;
      }
      if (foreign.length > 0) {
        drop('sourcedId', 'belongs to a school not in this municipality');
        continue;
      }
      if (unknown.length > 0) {
        drop(this.usersListEveryOrg ? 'orgSourcedIds' : 'sourcedId', 'refers to an org that is neither a school in orgs.csv nor one already imported');
        continue;
      }
      user.schools = ours;
      if (student) {
        if (details.roleNames.size > 1) {
          drop(this.roster.modes.roles === 'absent' ? 'role' : 'sourcedId', 'is a student and staff at once');
          continue;
        }
        const level = this.check(reject, 'grades', field.yearLevel(details.grades));
        if (reject.failed) {
          this.roster.users.delete(id);
          continue;
        }
        if (ours.length === 0 && stored === undefined) {
          drop('sourcedId', 'is a student of no school');
          continue;
        }
        user.kind = 'student';
        user.yearLevel = level;
        user.email = undefined;
        user.identitySubject = undefined;
        this.roster.users.set(id, user);
        continue;
      }
      // A roles row's role holds at its org only: an administrator of the district is not one of a school of theirs.
      // The 1.1 layout's roles hold at every org of the user.
      const grantedRoles =
        details.staffRolesAt.length > 0 ? ours.flatMap((school) => rolesAt(details.staffRolesAt, school)) : ours.length > 0 ? [...details.roleNames].flatMap((role) => STAFF_ROLES[role] ?? []) : [];
      for (const staffRole of grantedRoles) if (!user.staffRoles.includes(staffRole)) user.staffRoles.push(staffRole);
      // A 1.2 delta sends only the roles rows that changed: what it says changes the stored roles and schools.
      const storedStaff = this.usersListEveryOrg ? undefined : this.context.storedStaff(id);
      const changed = storedStaff ? staffAfterDelta(details, ours, storedStaff) : undefined;
      // Their schools are those of their staff roles: a guardian or aide at another school gives no access there.
      const schools = changed?.schools ?? staffSchools(details, ours);
      if (changed === null || (!storedStaff && !sameStaffRolesAtEachSchool(details, schools))) {
        drop('sourcedId', 'would have other roles at one of their schools than at another, and a user’s roles apply at every school of theirs (so a teacher at one school would administer the other): register them through the API');
        continue;
      }
      if (!changed && user.staffRoles.length === 0 && stored === undefined) {
        // Their staff roles are at orgs that are no school of ours (a district administrator): not a user of this platform.
        this.roster.users.delete(id);
        continue;
      }
      user.schools = schools;
      if (changed) {
        user.staffRoles = changed.roles;
        user.addsSchools = true;
        user.endedSchools = changed.ended;
      }
      const mail = this.check(reject, 'email', field.email(user.email));
      const subject = this.check(reject, 'userIds', field.userIdOf(user.identitySubject, this.context.identityType));
      if (reject.failed || mail === undefined || subject === undefined) {
        this.roster.users.delete(id);
        continue;
      }
      const first = staffByIdentity.get(subject);
      if (first) {
        if (!first.refused) {
          this.rejecter('users', first.line, { sourcedId: first.sourcedId })('userIds', `is also the login identity of the row on line ${user.line}; a login identity belongs to one user`);
          this.roster.users.delete(first.sourcedId);
          first.refused = true;
        }
        drop('userIds', `is also the login identity of the row on line ${first.line}; a login identity belongs to one user`);
        continue;
      }
      staffByIdentity.set(subject, { sourcedId: id, line: user.line, refused: false });
      user.email = mail;
      user.identitySubject = subject;
      this.roster.users.set(id, user);
    }
    this.details.clear();
  }

  /** Only sourcedId and birthDate: every other column was dropped by the parser (P19). */
  async demographics(): Promise<void> {
    for await (const { record, reject, seen } of this.rows('demographics')) {
      const id = this.check(reject, 'sourcedId', field.sourcedId(record.sourcedId));
      if (id === undefined || !seen(id)) continue;
      const birth = this.check(reject, 'birthDate', field.date(record.birthDate, false));
      if (reject.failed) continue;
      const user = this.roster.users.get(id);
      if (!user) {
        // users.csv lists them, but not as a user to import (a guardian) or not this time (their row was rejected): neither imported nor refused.
        const listed = this.roster.userIds.has(id) || this.roster.held.users.has(id);
        if (!listed && !this.context.known('user', id) && !this.roster.deletedUsers.has(id)) reject('sourcedId', 'refers to a user not in users.csv', !this.bulk('users'));
        continue;
      }
      if (birth !== undefined && user.kind === 'student') {
        if (birth > this.context.today) reject('birthDate', 'is in the future');
        else this.roster.birthDates.set(id, birth);
      }
    }
  }

  async classes(): Promise<void> {
    for await (const { line, record, reject, seen } of this.rows('classes')) {
      const id = this.check(reject, 'sourcedId', field.sourcedId(record.sourcedId));
      if (id === undefined || !seen(id)) continue;
      const state = this.check(reject, 'status', field.status(record.status));
      if (reject.failed || state === undefined) continue;
      if (state === 'tobedeleted') {
        this.roster.deletedClasses.add(id);
        continue;
      }
      const title = this.check(reject, 'title', field.name(record.title, 100));
      const school = (record.schoolSourcedId ?? '').trim();
      if (reject.failed || title === undefined) continue;
      if (this.roster.foreignSchools.has(school)) {
        reject('schoolSourcedId', 'is a school not in this municipality');
        continue;
      }
      if (!this.roster.schools.has(school) && !this.context.known('school', school)) {
        reject('schoolSourcedId', 'refers to a school not in orgs.csv');
        continue;
      }
      const terms = field.list(record.termSourcedIds);
      const missing = terms.find((term) => !this.roster.sessions.has(term));
      // A delta lists only the sessions that changed, and the directory keeps none: a term it does not list is not an error there.
      if (missing !== undefined && this.bulk('academicSessions')) {
        reject('termSourcedIds', 'refers to an academic session not in academicSessions.csv');
        continue;
      }
      this.roster.classes.set(id, { line, sourcedId: id, title, schoolSourcedId: school, terms });
    }
  }

  async enrollments(): Promise<void> {
    for await (const { line, record, reject, seen } of this.rows('enrollments')) {
      const id = this.check(reject, 'sourcedId', field.sourcedId(record.sourcedId));
      if (id === undefined || !seen(id)) continue;
      const state = this.check(reject, 'status', field.status(record.status));
      const begin = this.check(reject, 'beginDate', field.date(record.beginDate, false));
      const end = this.check(reject, 'endDate', field.date(record.endDate, false));
      if (reject.failed || state === undefined) continue;
      const role = (record.role ?? '').trim();
      if (role !== 'student' && role !== 'teacher') continue; // aides, guardians, proctors: not group members here
      const classId = (record.classSourcedId ?? '').trim();
      const userId = (record.userSourcedId ?? '').trim();
      const cls = this.roster.classes.get(classId);
      if (!cls && !this.roster.deletedClasses.has(classId) && !this.context.known('group', classId)) {
        reject('classSourcedId', 'refers to a class not in classes.csv', !this.bulk('classes'));
        continue;
      }
      const user = this.roster.users.get(userId);
      if (this.roster.disabledStaff.has(userId)) continue;
      // Also one the directory holds: what their refused row would have changed (their schools, their roles) is unknown.
      if (!user && this.refusedUsers.has(userId)) {
        reject('userSourcedId', 'refers to a user whose users.csv row was rejected', false);
        continue;
      }
      if (!user && !this.roster.deletedUsers.has(userId) && !this.context.known('user', userId)) {
        reject('userSourcedId', 'refers to a user not in users.csv', !this.bulk('users'));
        continue;
      }
      if (user && (role === 'student') !== (user.kind === 'student')) {
        reject('role', `enrols as ${role} a user who is not one`);
        continue;
      }
      const ended = state === 'tobedeleted' || (end !== undefined && end < this.context.today);
      if (begin !== undefined && end !== undefined && end < begin) {
        reject('endDate', 'is before beginDate');
        continue;
      }
      const future = !ended && begin !== undefined && begin > this.context.today;
      if (future && !this.bulk('enrollments')) {
        // Nothing keeps it until that day, and a later delta does not repeat a row that has not changed: said, not lost quietly.
        reject('beginDate', 'is after today: a delta’s enrollment that has not begun is not kept, so send it again once it has begun (a bulk file adds it by itself)', false);
        continue;
      }
      // Only an open one gives a membership now: an ended one takes it away (a pupil who moved school is no longer at
      // the old class's school), one to come is applied by the import after it begins (next year's school, in June).
      // The stored class's school when the file does not list it, and the stored user's schools likewise (a delta of enrollments only).
      const classSchools = cls ? [cls.schoolSourcedId] : this.storedClassSchools(classId);
      if (!ended && !future && classSchools !== undefined && !classSchools.some((school) => this.atSchool(userId, user, school))) {
        reject('userSourcedId', "refers to a user who is not at the class's school");
        continue;
      }
      this.roster.enrollments.push({ line, classSourcedId: classId, userSourcedId: userId, role, ended, future, endDate: end });
    }
  }

  /** Rows of one file (when the manifest lists it), with a rejecter and a duplicate check per row. */
  private async *rows(key: RosterFileKey) {
    if (this.roster.modes[key] === 'absent') return;
    const file = ROSTER_FILES[key].file;
    const ids = new SeenIds();
    const tally = this.roster.tallies[key];
    try {
      for await (const { line, record } of this.archive.rows(file, (header) => {
        const missing = missingColumns(key, header);
        if (missing.length > 0) throw new RosterArchiveRefused(`${file} lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
        // Read anyway, no user would have a role: each would be dropped as a guardian is, and every stored pupil made a leaver.
        if (key === 'users' && this.bulk('users') && this.roster.modes.roles === 'absent' && !header.includes('role')) {
          throw new RosterArchiveRefused('users.csv has no role column (OneRoster 1.2 keeps roles in roles.csv), and manifest.csv lists roles.csv as absent: no user would have a role');
        }
        if (key === 'users') {
          this.usersListEveryOrg = header.includes('orgSourcedIds');
          this.roster.staffRowsChangeStored = this.roster.modes.users === 'delta' && !this.usersListEveryOrg;
        }
        return readColumns(key, header);
      })) {
        tally.read += 1;
        if (tally.read > ROSTER_FILES[key].maxRows) throw new RosterArchiveRefused(`${file} has more than ${ROSTER_FILES[key].maxRows} rows`);
        const reject = this.rejecter(key, line, record);
        const seen = (id: string) => {
          if (ids.add(id)) return true;
          reject('sourcedId', 'duplicates the sourcedId of an earlier row');
          return false;
        };
        yield { line, record, file, reject, seen };
      }
    } finally {
      ids.clear(); // frees its table and file now
    }
  }

  private rejecter(key: RosterFileKey, line: number, record: Record<string, string | undefined> = {}): Rejecter {
    const reject = ((column: string, reason: string, holds = true) => {
      if (!reject.failed) {
        this.roster.tallies[key].rejected += 1;
        this.roster.rejected += 1;
        reject.failed = true;
        // Neither id of such a row is held: its one defect is a reference to a record that is gone.
        if (holds) this.hold(key, record);
        if (key === 'users' && record.sourcedId) this.refusedUsers.add(record.sourcedId.trim());
      }
      if (this.roster.rejections.length < this.context.listedRejections) this.roster.rejections.push({ file: ROSTER_FILES[key].file, line, column, reason });
    }) as Rejecter;
    reject.failed = false;
    return reject;
  }

  /** A stored class's schools, looked up once per class (each lookup parses the stored group): a delta names one class in many rows. */
  private storedClassSchools(classId: string): readonly string[] | undefined {
    if (!this.classSchools.has(classId)) this.classSchools.set(classId, this.context.storedSchools('group', classId));
    return this.classSchools.get(classId);
  }

  private readonly classSchools = new Map<string, readonly string[] | undefined>();

  /**
   * Whether the user is at the school after this import: one their row gives, or (a delta's staff
   * row that adds to them, a row that names none, or no row) a stored one it does not end. A user
   * neither the file nor the directory holds is refused elsewhere.
   */
  private atSchool(userId: string, user: UserRow | undefined, school: string): boolean {
    if (user?.schools.includes(school)) return true;
    // A row that names schools names them all, but a delta's 1.2 staff row; one that names none keeps the stored ones.
    if (user && user.schools.length > 0 && !user.addsSchools) return false;
    if (user?.endedSchools.includes(school)) return false;
    const stored = this.context.storedSchools('user', userId);
    return stored === undefined ? !user : stored.includes(school);
  }

  /** Whether the manifest lists the file as bulk: then it is the whole truth, and what it lacks is gone. */
  private bulk(key: RosterFileKey): boolean {
    return this.roster.modes[key] === 'bulk';
  }

  private hold(key: RosterFileKey, record: Record<string, string | undefined>): void {
    const naming = NAMING_COLUMNS[key];
    for (const kind of ['users', 'classes'] as const) {
      for (const column of naming?.[kind] ?? []) {
        const id = (record[column] ?? '').trim();
        if (id) this.roster.held[kind].add(id);
      }
    }
  }

  /** The value when the field is valid; otherwise the row is rejected for it (`reject.failed`). */
  private check<T>(reject: Rejecter, column: string, checked: Checked<T>): T | undefined {
    if (checked.ok) return checked.value;
    reject(column, checked.reason);
    return undefined;
  }
}
