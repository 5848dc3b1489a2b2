import { strToU8, zipSync, type Zippable } from 'fflate';
import type { TenantRole } from '../lib/identity/principal.js';
import {
  DEMO_GROUPS,
  DEMO_LEAVING_CLASSES,
  DEMO_MUNICIPALITY,
  DEMO_MUNICIPALITY_NAME,
  DEMO_SCHOOLS,
  DEMO_STAFF,
  demoGroupMembers,
  demoStaffEmail,
  demoStudents,
  schoolYearStart,
  type DemoStaff,
} from './demo-people.js';

/**
 * The demo municipality (local/demo-people.ts) as the OneRoster 1.2 CSV set its school
 * administration system would export as of `today`: the bulk files manifest, orgs,
 * academicSessions, users, roles, demographics (the birth date, nothing else), classes and
 * enrollments. The demo seed imports it through the roster import; `npm run demo-roster`
 * writes it to a file to upload by hand.
 *
 * Leavers are pupils whose one enrollment, in last school year's class of their school's last
 * year, ended on the day they left: that is how a bulk file tells the import when they left.
 */
export interface DemoRosterOptions {
  today: Date;
  /** The `userIds` type that holds a staff member's login (`ROSTER_IDENTITY_TYPE`). */
  identityType: string;
}

/** The roles a roster file may grant, by their OneRoster names; any other role is given through the API (docs/role-model.md). */
const ROSTER_ROLES: Partial<Record<TenantRole, string>> = { teacher: 'teacher', 'school-admin': 'administrator' };

/** Whether a staff member comes with the roster; the others (municipality and data admins) are registered through the API. */
export function inDemoRoster(person: DemoStaff): person is DemoStaff & { school: number } {
  return person.school !== undefined && person.roles.every((role) => ROSTER_ROLES[role] !== undefined);
}

const DISTRICT = `demo-kommune-${DEMO_MUNICIPALITY}`;
const schoolId = (school: number) => `demo-school-${school + 1}`;
const studentId = (index: number) => `demo-student-${String(index + 1).padStart(3, '0')}`;
/** OneRoster's schoolYear is the year a school year ends in. */
const sessionId = (endYear: number) => `demo-sy-${endYear}`;
const classId = (endYear: number, school: number, name: string) => `demo-class-${endYear}-${school + 1}-${name}`;
const grade = (yearLevel: number) => String(yearLevel).padStart(2, '0');

const MANIFEST_FILES = ['academicSessions', 'categories', 'classes', 'classResources', 'courses', 'courseResources', 'demographics', 'enrollments', 'lineItemLearningObjectiveIds', 'lineItems', 'lineItemScoreScales', 'orgs', 'resources', 'resultLearningObjectiveIds', 'results', 'resultScoreScales', 'roles', 'scoreScales', 'userProfiles', 'userResources', 'users'];
const INCLUDED = new Set(['academicSessions', 'classes', 'demographics', 'enrollments', 'orgs', 'roles', 'users']);

const COLUMNS = {
  orgs: ['sourcedId', 'status', 'dateLastModified', 'name', 'type', 'identifier', 'parentSourcedId'],
  academicSessions: ['sourcedId', 'status', 'dateLastModified', 'title', 'type', 'startDate', 'endDate', 'parentSourcedId', 'schoolYear'],
  users: ['sourcedId', 'status', 'dateLastModified', 'enabledUser', 'username', 'userIds', 'givenName', 'familyName', 'middleName', 'identifier', 'email', 'sms', 'phone', 'agentSourcedIds', 'grades', 'password', 'userMasterIdentifier', 'resourceSourcedIds', 'preferredGivenName', 'preferredMiddleName', 'preferredFamilyName', 'primaryOrgSourcedId', 'pronouns'],
  roles: ['sourcedId', 'status', 'dateLastModified', 'userSourcedId', 'roleType', 'role', 'beginDate', 'endDate', 'orgSourcedId', 'userProfileSourcedId'],
  demographics: ['sourcedId', 'status', 'dateLastModified', 'birthDate'],
  classes: ['sourcedId', 'status', 'dateLastModified', 'title', 'grades', 'courseSourcedId', 'classCode', 'classType', 'location', 'schoolSourcedId', 'termSourcedIds', 'subjects', 'subjectCodes', 'periods'],
  enrollments: ['sourcedId', 'status', 'dateLastModified', 'classSourcedId', 'schoolSourcedId', 'userSourcedId', 'role', 'primary', 'beginDate', 'endDate'],
} as const;

type Row = Record<string, string>;

/** CSV as exporters write it: CRLF, a field quoted when it holds a comma, quote or line break. */
function csv(columns: readonly string[], rows: readonly Row[]): string {
  const field = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  return [columns, ...rows.map((row) => columns.map((column) => row[column] ?? ''))].map((line) => `${line.map(field).join(',')}\r\n`).join('');
}

/** "Tor Lærer" -> Tor, Lærer: the import joins given and family name with a space again. */
function splitName(name: string): { givenName: string; familyName: string } {
  const last = name.lastIndexOf(' ');
  return { givenName: name.slice(0, last), familyName: name.slice(last + 1) };
}

/** The set's files by name, as CSV text. */
export function demoRosterFiles({ today, identityType }: DemoRosterOptions): Record<string, string> {
  const start = schoolYearStart(today);
  const modified = `${today.toISOString().slice(0, 10)}T00:00:00Z`;
  const active = { status: 'active', dateLastModified: modified };
  const students = demoStudents(today);
  const staff = DEMO_STAFF.filter(inDemoRoster);

  // This school year and the last, August to July (local/demo-people.ts: a school year begins in August).
  const sessions = [start + 1, start].map((endYear) => ({
    ...active,
    sourcedId: sessionId(endYear),
    title: `${endYear - 1}-${endYear}`,
    type: 'schoolYear',
    startDate: `${endYear - 1}-08-01`,
    endDate: `${endYear}-07-31`,
    schoolYear: String(endYear),
  }));
  const orgs = [
    { ...active, sourcedId: DISTRICT, name: DEMO_MUNICIPALITY_NAME, type: 'district', identifier: DEMO_MUNICIPALITY },
    ...DEMO_SCHOOLS.map((school, index) => ({ ...active, sourcedId: schoolId(index), name: school.name, type: 'school', parentSourcedId: DISTRICT })),
  ];
  const users = [
    ...staff.map((person) => ({
      ...active,
      sourcedId: person.subject,
      enabledUser: 'true',
      username: person.subject,
      userIds: `{${identityType}:${person.subject}}`,
      ...splitName(person.name),
      email: demoStaffEmail(person),
      primaryOrgSourcedId: schoolId(person.school),
    })),
    ...students.map((student, index) => ({
      ...active,
      sourcedId: studentId(index),
      enabledUser: 'true',
      username: studentId(index),
      givenName: student.givenName,
      familyName: student.familyName,
      grades: grade(student.yearLevel),
      primaryOrgSourcedId: schoolId(student.school),
    })),
  ];
  const roles = [
    ...staff.flatMap((person) =>
      person.roles.map((role) => ({ ...active, sourcedId: `demo-role-${person.subject}-${role}`, userSourcedId: person.subject, roleType: 'primary', role: ROSTER_ROLES[role] ?? '', orgSourcedId: schoolId(person.school) })),
    ),
    ...students.map((student, index) => ({ ...active, sourcedId: `demo-role-${studentId(index)}`, userSourcedId: studentId(index), roleType: 'primary', role: 'student', orgSourcedId: schoolId(student.school) })),
  ];
  const demographics = students.map((student, index) => ({ ...active, sourcedId: studentId(index), birthDate: student.birthDate }));

  const classes: Row[] = [];
  const enrollments: Row[] = [];
  const enrol = (cls: string, school: number, user: string, role: 'teacher' | 'student', dates: { beginDate: string; endDate?: string }) =>
    enrollments.push({ ...active, sourcedId: `${cls}-${user}`, classSourcedId: cls, schoolSourcedId: schoolId(school), userSourcedId: user, role, primary: role === 'teacher' ? 'true' : 'false', ...dates });
  for (const group of DEMO_GROUPS) {
    const id = classId(start + 1, group.school, group.name);
    classes.push({ ...active, sourcedId: id, title: group.name, grades: grade(group.yearLevel), classType: 'homeroom', schoolSourcedId: schoolId(group.school), termSourcedIds: sessionId(start + 1) });
    const thisYear = { beginDate: `${start}-08-01` };
    enrol(id, group.school, group.teacher, 'teacher', thisYear);
    for (const member of demoGroupMembers(group, students)) enrol(id, group.school, studentId(students.indexOf(member)), 'student', thisYear);
  }
  for (const leaving of DEMO_LEAVING_CLASSES) {
    const id = classId(start, leaving.school, leaving.name);
    classes.push({ ...active, sourcedId: id, title: leaving.name, grades: grade(leaving.yearLevel), classType: 'homeroom', schoolSourcedId: schoolId(leaving.school), termSourcedIds: sessionId(start) });
    students.forEach((student, index) => {
      if (student.status === 'leaver' && student.school === leaving.school && student.yearLevel === leaving.yearLevel) {
        enrol(id, leaving.school, studentId(index), 'student', { beginDate: `${start - 1}-08-01`, endDate: student.leftAt ?? '' });
      }
    });
  }

  const manifest = [
    { propertyName: 'manifest.version', value: '1.0' },
    { propertyName: 'oneroster.version', value: '1.2' },
    ...MANIFEST_FILES.map((name) => ({ propertyName: `file.${name}`, value: INCLUDED.has(name) ? 'bulk' : 'absent' })),
    { propertyName: 'source.systemName', value: 'Engage demo (local/demo-people.ts)' },
    { propertyName: 'source.systemCode', value: 'engage-demo' },
  ];
  return {
    'manifest.csv': csv(['propertyName', 'value'], manifest),
    'orgs.csv': csv(COLUMNS.orgs, orgs),
    'academicSessions.csv': csv(COLUMNS.academicSessions, sessions),
    'users.csv': csv(COLUMNS.users, users),
    'roles.csv': csv(COLUMNS.roles, roles),
    'demographics.csv': csv(COLUMNS.demographics, demographics),
    'classes.csv': csv(COLUMNS.classes, classes),
    'enrollments.csv': csv(COLUMNS.enrollments, enrollments),
  };
}

/** The set as the zip an upload carries. */
export function demoRosterZip(options: DemoRosterOptions): Uint8Array {
  const entries: Zippable = {};
  for (const [name, content] of Object.entries(demoRosterFiles(options))) entries[name] = strToU8(content);
  return zipSync(entries, { level: 6 });
}
