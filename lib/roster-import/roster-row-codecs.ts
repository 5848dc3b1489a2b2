import type { RecordCodec } from './roster-record-table.js';
import type { ClassRow, UserDetails, UserRow } from './roster-reader.js';
import { FILE_ROLES, type StaffRole } from './roster-roles.js';

const KINDS: readonly UserRow['kind'][] = ['staff', 'student'];

/** A checked (or, before `checkUsers`, a read) users.csv row, without its sourcedId (the table's key). */
export const USER_ROWS: RecordCodec<UserRow> = {
  write(user, out) {
    out.uint(user.line);
    out.string(user.givenName);
    out.string(user.familyName);
    out.uint(KINDS.indexOf(user.kind));
    out.uint(user.staffRoles.length);
    for (const role of user.staffRoles) out.uint(FILE_ROLES.indexOf(role)); // a small number each, in the order the row lists them
    out.strings(user.schools);
    out.optionalString(user.email);
    out.optionalString(user.identitySubject);
    out.uint(user.yearLevel === undefined ? 0 : user.yearLevel + 1);
    out.uint(user.addsSchools ? 1 : 0);
    out.strings(user.endedSchools);
  },
  read(input, sourcedId) {
    const line = input.uint();
    const givenName = input.string();
    const familyName = input.string();
    const kind = KINDS[input.uint()] ?? 'staff';
    const staffRoles: StaffRole[] = [];
    for (let count = input.uint(); count > 0; count -= 1) staffRoles.push(FILE_ROLES[input.uint()] ?? 'teacher');
    const schools = input.strings();
    const email = input.optionalString();
    const identitySubject = input.optionalString();
    const level = input.uint();
    const addsSchools = input.uint() === 1;
    const endedSchools = input.strings();
    return { line, sourcedId, givenName, familyName, kind, staffRoles, schools, email, identitySubject, yearLevel: level === 0 ? undefined : level - 1, addsSchools, endedSchools };
  },
};

/** What users.csv and roles.csv say of a user until it is checked. */
export const USER_DETAILS: RecordCodec<UserDetails> = {
  write(details, out) {
    out.optionalString(details.grades);
    out.strings(details.roleNames);
    out.strings(details.orgIds);
    out.optionalString(details.primaryOrg);
    out.strings(details.staffRolesAt);
    out.optionalString(details.refusedName);
    out.uint(details.disabled ? 1 : 0);
    out.strings(details.endedStaffRolesAt);
    out.strings(details.futureRoles);
  },
  read(input) {
    return {
      grades: input.optionalString(),
      roleNames: new Set(input.strings()),
      orgIds: input.strings(),
      primaryOrg: input.optionalString(),
      staffRolesAt: input.strings(),
      refusedName: input.optionalString(),
      disabled: input.uint() === 1,
      endedStaffRolesAt: input.strings(),
      futureRoles: input.strings(),
    };
  },
};

export const CLASS_ROWS: RecordCodec<ClassRow> = {
  write(row, out) {
    out.uint(row.line);
    out.string(row.title);
    out.string(row.schoolSourcedId);
    out.strings(row.terms);
  },
  read(input, sourcedId) {
    return { line: input.uint(), sourcedId, title: input.string(), schoolSourcedId: input.string(), terms: input.strings() };
  },
};

/** A birth date as demographics.csv gives it (checked: YYYY-MM-DD). */
export const DATES: RecordCodec<string> = {
  write(date, out) {
    out.string(date);
  },
  read(input) {
    return input.string();
  },
};
