import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureRoutes } from '../../lib/app/feature.js';
import { FEATURES } from '../../lib/features.js';
import type { AnyRoute } from '../../lib/http/route.js';
import type { Role } from '../../lib/identity/principal.js';
import { USAGE_EVENT_TYPES } from '../../lib/usage/usage-model.js';
import { DEV_ISSUER } from '../../local/dev-issuer.js';
import { buildSchoolWorld, RECORD_BODIES, type SchoolWorld } from '../support/school-world.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Every route x every kind of caller x own/foreign municipality, own/other school,
 * in/out of group. The roles come from the route definitions; what each caller may see
 * is an oracle written here independently of lib/access. Adding a route without a
 * fixture below fails the coverage test.
 */

type Place = 'home' | 'foreign';
type StudentKey = 'inGroup' | 'sameSchool' | 'otherSchool' | 'foreign';
type SchoolKey = 'own' | 'other' | 'foreign';
type UserKey = 'groupTeacher' | 'otherSchoolTeacher' | 'foreignTeacher';

interface Actor {
  name: string;
  kind: 'staff' | 'operator' | 'unregistered' | 'anonymous';
  place?: Place;
  roles: Role[];
  schools: SchoolKey[];
  teachesGroup: boolean;
  self?: UserKey;
}

interface Variant {
  label: string;
  /** Municipality in the path. */
  place: Place;
  student?: StudentKey;
  school?: SchoolKey;
  group?: Place;
  user?: UserKey;
  /** The record id belongs to another student than the one in the path. */
  crossedRecord?: boolean;
}

const STUDENTS: Record<StudentKey, { place: Place; school: SchoolKey; inGroup: boolean }> = {
  inGroup: { place: 'home', school: 'own', inGroup: true },
  sameSchool: { place: 'home', school: 'own', inGroup: false },
  otherSchool: { place: 'home', school: 'other', inGroup: false },
  foreign: { place: 'foreign', school: 'foreign', inGroup: true },
};
const USERS: Record<UserKey, { place: Place; schools: SchoolKey[] }> = {
  groupTeacher: { place: 'home', schools: ['own'] },
  otherSchoolTeacher: { place: 'home', schools: ['other'] },
  foreignTeacher: { place: 'foreign', schools: ['foreign'] },
};
const SCHOOL_PLACE: Record<SchoolKey, Place> = { own: 'home', other: 'home', foreign: 'foreign' };

const ACTORS: Actor[] = [
  { name: 'groupTeacher', kind: 'staff', place: 'home', roles: ['teacher'], schools: ['own'], teachesGroup: true, self: 'groupTeacher' },
  { name: 'schoolTeacher', kind: 'staff', place: 'home', roles: ['teacher'], schools: ['own'], teachesGroup: false },
  { name: 'otherSchoolTeacher', kind: 'staff', place: 'home', roles: ['teacher'], schools: ['other'], teachesGroup: false, self: 'otherSchoolTeacher' },
  { name: 'schoolAdmin', kind: 'staff', place: 'home', roles: ['school-admin'], schools: ['own'], teachesGroup: false },
  { name: 'otherSchoolAdmin', kind: 'staff', place: 'home', roles: ['school-admin'], schools: ['other'], teachesGroup: false },
  { name: 'municipalityAdmin', kind: 'staff', place: 'home', roles: ['municipality-admin'], schools: [], teachesGroup: false },
  { name: 'dataAdmin', kind: 'staff', place: 'home', roles: ['data-admin'], schools: [], teachesGroup: false },
  { name: 'foreignAdmin', kind: 'staff', place: 'foreign', roles: ['municipality-admin', 'data-admin'], schools: [], teachesGroup: false },
  { name: 'foreignTeacher', kind: 'staff', place: 'foreign', roles: ['teacher'], schools: ['foreign'], teachesGroup: true, self: 'foreignTeacher' },
  { name: 'operator', kind: 'operator', roles: ['platform-operator'], schools: [], teachesGroup: false },
  { name: 'unregistered', kind: 'unregistered', roles: [], schools: [], teachesGroup: false },
  { name: 'anonymous', kind: 'anonymous', roles: [], schools: [], teachesGroup: false },
];

const has = (actor: Actor, ...roles: Role[]) => roles.some((role) => actor.roles.includes(role));

// ---- the oracle: P5 as the brief and the issue state it ----
function seesStudent(actor: Actor, key: StudentKey): boolean {
  const student = STUDENTS[key];
  if (actor.place !== student.place) return false;
  if (has(actor, 'data-admin', 'municipality-admin')) return true;
  if (has(actor, 'school-admin') && actor.schools.includes(student.school)) return true;
  return has(actor, 'teacher') && actor.teachesGroup && student.inGroup;
}
const writesRecordsOf = (actor: Actor, key: StudentKey) =>
  has(actor, 'teacher') && actor.place === STUDENTS[key].place && actor.teachesGroup && STUDENTS[key].inGroup;
const manages = (actor: Actor, school: SchoolKey) =>
  actor.place === SCHOOL_PLACE[school] && (has(actor, 'municipality-admin') || (has(actor, 'school-admin') && actor.schools.includes(school)));
/** Both worlds' groups are at the first school of their municipality and taught by the group teacher. */
const seesGroup = (actor: Actor, place: Place) =>
  actor.place === place &&
  (has(actor, 'data-admin', 'municipality-admin') || actor.schools.includes(place === 'home' ? 'own' : 'foreign') || actor.teachesGroup);
function seesUser(actor: Actor, key: UserKey): boolean {
  const user = USERS[key];
  if (actor.place !== user.place) return false;
  if (actor.self === key || has(actor, 'data-admin', 'municipality-admin')) return true;
  return has(actor, 'school-admin') && user.schools.some((school) => actor.schools.includes(school));
}

interface Fixture {
  variants: Variant[];
  /** Status for a staff member of the path's municipality who holds one of the route's roles. */
  expect: (actor: Actor, variant: Variant) => number;
  body?: (world: SchoolWorld, variant: Variant) => unknown;
  /** Public routes: the status for everyone. */
  publicStatus?: number;
  /** Send a stale If-Match: a caller who passes authorisation gets 412, and nothing is written. */
  ifMatch?: boolean;
  /** Query string for the request. */
  query?: string;
}

const ME: Variant[] = [{ label: 'the caller', place: 'home' }];
const USAGE_EVENT_TYPE = USAGE_EVENT_TYPES[0];
const MATRIX_POLICY_VERSION = 'matrix-1';
const SUPPORT_OWNER = 'groupTeacher';
const HOME_AND_FOREIGN: Variant[] = [{ label: 'own municipality', place: 'home' }, { label: 'foreign municipality', place: 'foreign' }];
const studentVariants = (): Variant[] => [
  ...(['inGroup', 'sameSchool', 'otherSchool'] as const).map((student) => ({ label: `student ${student}`, place: 'home' as const, student })),
  { label: 'foreign student id under own municipality', place: 'home', student: 'foreign' },
  { label: 'foreign municipality', place: 'foreign', student: 'foreign' },
];
const recordVariants = (): Variant[] => [...studentVariants(), { label: 'record of another student', place: 'home', student: 'inGroup', crossedRecord: true }];
const schoolVariants: Variant[] = [
  { label: 'own school', place: 'home', school: 'own' },
  { label: 'other school', place: 'home', school: 'other' },
  { label: 'foreign school id under own municipality', place: 'home', school: 'foreign' },
  { label: 'foreign municipality', place: 'foreign', school: 'foreign' },
];
const groupVariants: Variant[] = [
  { label: 'own group', place: 'home', group: 'home' },
  { label: 'foreign group id under own municipality', place: 'home', group: 'foreign' },
  { label: 'foreign municipality', place: 'foreign', group: 'foreign' },
];
const userVariants: Variant[] = [
  { label: 'teacher at own school', place: 'home', user: 'groupTeacher' },
  { label: 'teacher at other school', place: 'home', user: 'otherSchoolTeacher' },
  { label: 'foreign user id under own municipality', place: 'home', user: 'foreignTeacher' },
  { label: 'foreign municipality', place: 'foreign', user: 'foreignTeacher' },
];

const student = (variant: Variant) => variant.student as StudentKey;
const schoolOf = (variant: Variant): SchoolKey => variant.school ?? 'own';
const bodyStudent = (world: SchoolWorld, variant: Variant, school: SchoolKey = schoolOf(variant)) => ({
  givenName: 'Matrix',
  familyName: 'Elev',
  birthDate: '2013-05-06',
  schoolId: world.schools[school],
  yearLevel: 7,
  ...(variant.place === 'foreign' ? { schoolId: world.schools.foreign } : {}),
});
const newIdentity = () => ({ issuer: DEV_ISSUER, subject: `matrix-${randomUUID()}` });

function recordFixtures(kind: 'assessment' | 'evaluation' | 'grade', path: string): Record<string, Fixture> {
  return {
    [`list-${path}`]: { variants: studentVariants(), expect: (actor, v) => (seesStudent(actor, student(v)) ? 200 : 404) },
    [`create-${kind}`]: { variants: studentVariants(), body: () => RECORD_BODIES[kind], expect: (actor, v) => (writesRecordsOf(actor, student(v)) ? 201 : 404) },
    [`get-${kind}`]: { variants: recordVariants(), expect: (actor, v) => (seesStudent(actor, student(v)) && !v.crossedRecord ? 200 : 404) },
    [`update-${kind}`]: {
      variants: recordVariants(),
      ifMatch: true,
      body: () => (kind === 'grade' ? { grade: '4' } : { date: '2026-11-01' }),
      expect: (actor, v) => (writesRecordsOf(actor, student(v)) && !v.crossedRecord ? 412 : 404),
    },
  };
}

const FIXTURES: Record<string, Fixture> = {
  health: { variants: [], expect: () => 200, publicStatus: 200 },
  openapi: { variants: [], expect: () => 200, publicStatus: 200 },
  docs: { variants: [], expect: () => 200, publicStatus: 200 },
  'docs-asset': { variants: [], expect: () => 200, publicStatus: 200 },
  'dev-token': { variants: [], expect: () => 200, publicStatus: 200, body: () => ({ sub: 'matrix' }) },
  'dev-jwks': { variants: [], expect: () => 200, publicStatus: 200 },
  me: { variants: [{ label: 'self', place: 'home' }], expect: () => 200 },
  'register-municipality': { variants: [{ label: 'new', place: 'home' }], body: () => ({ id: String(1000 + Math.floor(Math.random() * 8999)), name: 'Ny' }), expect: () => 201 },
  'list-municipalities': { variants: [{ label: 'all', place: 'home' }], expect: () => 200 },
  'get-municipality': { variants: HOME_AND_FOREIGN, expect: () => 200 },
  'get-settings': { variants: HOME_AND_FOREIGN, expect: () => 200 },
  'update-settings': { variants: HOME_AND_FOREIGN, ifMatch: true, body: () => ({ studentVisibility: 'school' }), expect: () => 412 },
  'list-schools': { variants: HOME_AND_FOREIGN, expect: () => 200 },
  'create-school': { variants: HOME_AND_FOREIGN, body: () => ({ name: 'Matrix skole' }), expect: () => 201 },
  'get-school': { variants: schoolVariants, expect: (_actor, v) => (v.school === 'foreign' && v.place === 'home' ? 404 : 200) },
  'update-school': { variants: schoolVariants, ifMatch: true, body: () => ({ name: 'Nytt navn' }), expect: (_actor, v) => (v.school === 'foreign' && v.place === 'home' ? 404 : 412) },
  'delete-school': { variants: schoolVariants, expect: (_actor, v) => (v.school === 'foreign' && v.place === 'home' ? 404 : 409) },
  'list-groups': { variants: HOME_AND_FOREIGN, expect: () => 200 },
  'create-group': {
    variants: schoolVariants.filter((v) => v.school !== 'foreign' || v.place === 'foreign'),
    body: (world, v) => ({ schoolId: world.schools[schoolOf(v)], name: 'Matrisegruppe' }),
    expect: (actor, v) => (manages(actor, schoolOf(v)) ? 201 : 400),
  },
  'get-group': { variants: groupVariants, expect: (actor, v) => (v.group === v.place && seesGroup(actor, v.place) ? 200 : 404) },
  'update-group': {
    variants: groupVariants,
    ifMatch: true,
    body: () => ({ name: 'Nytt navn' }),
    expect: (actor, v) => {
      if (v.group !== v.place || !seesGroup(actor, v.place)) return 404;
      return manages(actor, v.place === 'home' ? 'own' : 'foreign') ? 412 : 403;
    },
  },
  'delete-group': {
    variants: groupVariants,
    expect: (actor, v) => {
      if (v.group !== v.place || !seesGroup(actor, v.place)) return 404;
      return manages(actor, v.place === 'home' ? 'own' : 'foreign') ? 409 : 403;
    },
  },
  'create-user': {
    variants: schoolVariants.filter((v) => v.school !== 'foreign' || v.place === 'foreign'),
    body: (world, v) => ({ name: 'Matrise Ansatt', email: 'matrise@example.test', roles: ['teacher'], schoolIds: [world.schools[schoolOf(v)]], identity: newIdentity() }),
    // Both municipalities have their first admin already: an operator registers no one else.
    expect: (actor, v) => (actor.kind !== 'operator' && (has(actor, 'municipality-admin') || manages(actor, schoolOf(v))) ? 201 : 403),
  },
  'list-users': { variants: HOME_AND_FOREIGN, expect: () => 200 },
  'get-user': { variants: userVariants, expect: (actor, v) => (USERS[v.user as UserKey].place === v.place && seesUser(actor, v.user as UserKey) ? 200 : 404) },
  'update-user': {
    variants: userVariants,
    ifMatch: true,
    body: () => ({ name: 'Nytt Navn' }),
    // A data admin who manages no one only grants and removes data-admin: a name is not theirs to change.
    expect: (actor, v) => {
      if (USERS[v.user as UserKey].place !== v.place || !seesUser(actor, v.user as UserKey)) return 404;
      return has(actor, 'municipality-admin', 'school-admin') ? 412 : 403;
    },
  },
  'list-students': { variants: HOME_AND_FOREIGN, expect: () => 200 },
  'create-student': {
    variants: schoolVariants.filter((v) => v.school !== 'foreign' || v.place === 'foreign'),
    body: (world, v) => bodyStudent(world, v),
    expect: (actor, v) => (manages(actor, schoolOf(v)) ? 201 : 400),
  },
  'get-student': { variants: studentVariants(), expect: (actor, v) => (seesStudent(actor, student(v)) ? 200 : 404) },
  'update-student': {
    variants: studentVariants(),
    ifMatch: true,
    body: () => ({ yearLevel: 9 }),
    expect: (actor, v) => (STUDENTS[student(v)].place === v.place && manages(actor, STUDENTS[student(v)].school) ? 412 : 404),
  },
  ...recordFixtures('assessment', 'assessments'),
  ...recordFixtures('evaluation', 'evaluations'),
  ...recordFixtures('grade', 'grades'),
  'list-audit': { variants: HOME_AND_FOREIGN, expect: () => 200 },
  'list-operator-actions': { variants: HOME_AND_FOREIGN, expect: () => 200 },
  // Erasure routes must not erase the world: a malformed instruction reference is refused
  // (400) only after the tenant and role checks, which is what the matrix is about.
  'erase-student': { variants: studentVariants(), query: 'instructionReference=not%20a%20reference', expect: () => 400 },
  'erase-user': { variants: userVariants, query: 'instructionReference=not%20a%20reference', expect: () => 400 },
  'create-erasure': {
    variants: HOME_AND_FOREIGN,
    body: () => ({ subjectType: 'student', subjectIds: [randomUUID()], instructionReference: 'SAK-MATRIX' }),
    expect: () => 404,
  },
  'list-erasures': { variants: HOME_AND_FOREIGN, expect: () => 200 },
  'get-erasure': { variants: HOME_AND_FOREIGN, expect: () => 404 },
  // Usage information (P6) is about staff accounts; job runs are the operator's.
  'record-usage-events': { variants: ME, body: () => ({ events: [{ type: USAGE_EVENT_TYPE, feature: 'grades/list', at: new Date().toISOString() }] }), expect: () => 202 },
  'register-device': { variants: ME, body: () => ({ deviceId: 'device-matrix-1', model: 'Pixel 9', osVersion: '15' }), expect: () => 201 },
  'start-job-run': { variants: ME, body: () => ({ dryRun: true }), expect: () => 202 },
  'get-job-run': { variants: ME, expect: () => 404 },
  'start-erasure-reapply': { variants: ME, body: () => ({ restoredTo: new Date().toISOString() }), expect: () => 202 },
  'get-erasure-reapply': { variants: ME, expect: () => 404 },
  // Governance (P8, P9, P17, P18): not tenant routes; the caller's own data or the operator's desk.
  'list-my-consents': { variants: ME, expect: () => 200 },
  'get-my-consent': { variants: ME, expect: () => 200 },
  'set-my-consent': { variants: ME, body: () => ({ granted: false }), expect: () => 200 },
  'send-newsletter': { variants: ME, body: () => ({ subject: 'Nytt i Engage', text: 'Hei!' }), expect: () => 202 },
  'publish-policy-version': {
    variants: ME,
    body: () => ({ version: `m-${randomUUID().slice(0, 8)}`, language: 'nb', text: 'Tekst', changeType: 'minor', reducesRights: false, effectiveFrom: new Date(Date.now() + 86_400_000).toISOString() }),
    expect: () => 201,
  },
  'current-policy': { variants: [], expect: () => 200, publicStatus: 200 },
  'list-policy-versions': { variants: [], expect: () => 200, publicStatus: 200 },
  'get-policy-version': { variants: [], expect: () => 200, publicStatus: 200 },
  'accept-policy-version': { variants: ME, body: () => ({ version: MATRIX_POLICY_VERSION }), expect: () => 201 },
  'file-complaint': { variants: [], body: () => ({ name: 'Klager', contact: 'klager@example.test', text: 'Klage' }), expect: () => 201, publicStatus: 201 },
  'list-complaints': { variants: ME, expect: () => 200 },
  'get-complaint': { variants: ME, expect: () => 200 },
  'update-complaint': { variants: ME, ifMatch: true, body: () => ({ status: 'contacted' }), expect: () => 412 },
  'open-support-request': { variants: ME, body: () => ({ subject: 'Hjelp', message: 'Jeg trenger hjelp' }), expect: () => 201 },
  'list-support-requests': { variants: ME, expect: () => 200 },
  'get-support-request': { variants: ME, expect: (actor) => (actor.name === SUPPORT_OWNER || actor.kind === 'operator' ? 200 : 404) },
  'add-support-message': { variants: ME, body: () => ({ text: 'Mer informasjon' }), expect: (actor) => (actor.name === SUPPORT_OWNER || actor.kind === 'operator' ? 201 : 404) },
  // Sessions (P11): anyone signed in exchanges a bearer token for a cookie, and signs out.
  'start-session': { variants: ME, body: () => ({ language: 'nb' }), expect: () => 201 },
  'end-session': { variants: ME, expect: () => 204 },
  // Disclosures and exports (P13, P14): the data admin of the path's municipality, about its own people.
  'register-disclosure': {
    variants: HOME_AND_FOREIGN,
    body: (world, v) => ({
      recipient: 'Matrise tingrett',
      basis: 'court-order',
      reference: 'MATRIX-1',
      dataCategories: ['identity'],
      subjectIds: [v.place === 'home' ? world.students.inGroup : world.students.foreign],
    }),
    expect: () => 201,
  },
  'list-disclosures': { variants: HOME_AND_FOREIGN, expect: () => 200 },
  'get-disclosure': { variants: HOME_AND_FOREIGN, expect: () => 404 },
  'create-export': {
    variants: HOME_AND_FOREIGN,
    body: (world, v) => ({ subjectType: 'student', subjectId: v.place === 'home' ? world.students.inGroup : world.students.foreign, format: 'json', recipient: 'controller' }),
    expect: () => 201,
  },
  'list-exports': { variants: HOME_AND_FOREIGN, expect: () => 200 },
  'get-export': { variants: HOME_AND_FOREIGN, expect: () => 404 },
  'download-export': { variants: HOME_AND_FOREIGN, expect: () => 404 },
  // Analytics (P7): aggregates for municipality and data admins.
  'usage-analytics': { variants: HOME_AND_FOREIGN, query: 'from=2026-11-01&to=2026-11-30&groupBy=feature', expect: () => 200 },
  // Leaver reports (P4): school admins for their schools, municipality and data admins for all. The world has
  // no leavers: a run for a school the caller sees starts (and finds nobody); reports and runs by id are 404.
  'create-leaver-reports': {
    variants: schoolVariants.filter((v) => v.school !== 'foreign' || v.place === 'foreign'),
    body: (world, v) => ({ schoolId: world.schools[schoolOf(v)], schoolYear: '2026-2027' }),
    expect: (actor, v) => (manages(actor, schoolOf(v)) || (has(actor, 'data-admin') && actor.place === SCHOOL_PLACE[schoolOf(v)]) ? 202 : 400),
  },
  'get-leaver-report-run': { variants: HOME_AND_FOREIGN, expect: () => 404 },
  'list-leaver-reports': { variants: HOME_AND_FOREIGN, expect: () => 200 },
  'get-leaver-report': { variants: HOME_AND_FOREIGN, expect: () => 404 },
  'get-leaver-report-document': { variants: HOME_AND_FOREIGN, expect: () => 404 },
  // Roster import: municipality and data admins. The blob was never uploaded, so a start that passes authorisation is 400.
  'create-roster-upload': { variants: HOME_AND_FOREIGN, expect: () => 201 },
  'start-roster-import': {
    variants: HOME_AND_FOREIGN,
    body: (world, v) => ({ blob: `${v.place === 'home' ? world.home : world.foreign}/uploads/${randomUUID()}.zip`, mode: 'bulk' }),
    expect: () => 400,
  },
  'resume-roster-import': { variants: HOME_AND_FOREIGN, expect: () => 404 },
  'get-roster-import': { variants: HOME_AND_FOREIGN, expect: () => 404 },
  'list-roster-imports': { variants: HOME_AND_FOREIGN, expect: () => 200 },
};

type MatrixWorld = SchoolWorld & { foreignGroup: string; complaintId: string; supportRequestId: string };

function pathFor(route: AnyRoute, world: MatrixWorld, variant: Variant): string {
  const municipality = variant.place === 'home' ? world.home : world.foreign;
  const studentKey = variant.student ?? 'inGroup';
  const recordStudent = variant.crossedRecord ? 'sameSchool' : studentKey;
  const kind = route.name.replace(/^(get|update)-/, '') as 'assessment' | 'evaluation' | 'grade';
  const values: Record<string, string> = {
    municipalityId: municipality,
    studentId: world.students[studentKey],
    schoolId: world.schools[variant.school ?? 'own'],
    groupId: variant.group === 'foreign' ? world.foreignGroup : world.group,
    userId: world.actors[variant.user ?? 'groupTeacher'].id,
    recordId: world.records[recordStudent]?.[kind] ?? randomUUID(),
    erasureId: randomUUID(),
    reportId: randomUUID(),
    runId: randomUUID(),
    purpose: 'newsletter',
    job: 'usage-anonymisation',
    // A run id of the shape both `{id}` routes accept (job runs and erasure re-apply runs), of no existing run.
    id: `erasure-reapply-${Date.now()}`,
    version: MATRIX_POLICY_VERSION,
    complaintId: world.complaintId,
    requestId: world.supportRequestId,
    disclosureId: randomUUID(),
    exportId: randomUUID(),
    asset: 'init.js',
  };
  return route.path.replace(/\{(\w+)\}/g, (_match, name: string) => values[name] ?? 'unknown');
}

/**
 * The dispatcher's refusals before a route's handler runs (lib/http/dispatcher.ts: authenticate,
 * then authorise: tenant scope, then roles), as a status; undefined when the handler runs.
 */
function refusedBeforeHandler(route: AnyRoute, actor: Actor, variant: Variant): number | undefined {
  if (route.access.kind === 'public') return undefined;
  if (actor.kind === 'anonymous') return 401;
  const tenant = route.path.includes('{municipalityId}');
  const allowed = route.access.kind === 'authenticated' || route.access.roles.some((role) => actor.roles.includes(role));
  if (tenant) {
    if (actor.kind === 'operator') return allowed ? undefined : 404;
    if (actor.kind === 'unregistered' || actor.place !== variant.place) return 404;
  }
  return allowed ? undefined : 403;
}

function expectedStatus(route: AnyRoute, fixture: Fixture, actor: Actor, variant: Variant): number {
  if (route.access.kind === 'public') return fixture.publicStatus ?? 200;
  return refusedBeforeHandler(route, actor, variant) ?? fixture.expect(actor, variant);
}

interface Case {
  route: AnyRoute;
  actor: Actor;
  variant: Variant;
  fixture: Fixture;
}

function casesOf(routes: AnyRoute[]): Case[] {
  return routes.flatMap((route) => {
    const fixture = FIXTURES[route.name];
    if (!fixture) return [];
    const variants = fixture.variants.length > 0 ? fixture.variants : [{ label: 'public', place: 'home' as const }];
    return ACTORS.flatMap((actor) => variants.map((variant) => ({ route, actor, variant, fixture })));
  });
}

let test: TestApp;
let world: MatrixWorld;
const tokens = new Map<string, string | undefined>();
const routes = featureRoutes(FEATURES);

beforeAll(async () => {
  test = await startTestApp();
  const built = await buildSchoolWorld(test);
  const foreignGroups = await test.request('GET', `/municipalities/${built.foreign}/groups`, { token: built.actors.foreignAdmin.token });
  const operator = await test.operatorToken();
  const policy = await test.request('POST', '/privacy-policy/versions', {
    token: operator,
    body: { version: MATRIX_POLICY_VERSION, language: 'nb', text: 'Personvernerklæring', changeType: 'major', reducesRights: false, effectiveFrom: new Date(Date.now() + 1500).toISOString() },
  });
  const complaint = await test.request('POST', '/complaints', { body: { name: 'Klager', contact: 'klager@example.test', text: 'Klage' } });
  const support = await test.request('POST', '/support-requests', { token: built.actors.groupTeacher.token, body: { subject: 'Hjelp', message: 'Hei' } });
  if (policy.status !== 201 || complaint.status !== 201 || support.status !== 201) throw new Error('could not seed governance data for the matrix');
  await new Promise((resolve) => setTimeout(resolve, 1600));
  world = { ...built, foreignGroup: foreignGroups.body.items[0].id, complaintId: complaint.body.id, supportRequestId: support.body.id };
  for (const actor of ACTORS) {
    if (actor.kind === 'staff') tokens.set(actor.name, world.actors[actor.name as keyof SchoolWorld['actors']].token);
    else if (actor.kind === 'operator') tokens.set(actor.name, await test.operatorToken());
    else if (actor.kind === 'unregistered') tokens.set(actor.name, await test.token('matrix-unregistered'));
    else tokens.set(actor.name, undefined);
  }
}, 120_000);
afterAll(() => test.close());

/** Every audit entry of every municipality: a cross-partition count only a test may make. */
async function auditEntries(): Promise<number> {
  const { resources } = await test.app.services.cosmos.containers.audit.items.query<number>('SELECT VALUE COUNT(1) FROM c').fetchAll();
  return resources[0] ?? 0;
}

function foreignIds(place: Place): string[] {
  const other = place === 'foreign' ? 'home' : 'foreign';
  if (other === 'foreign') {
    return [world.students.foreign, world.schools.foreign, world.actors.foreignTeacher.id, world.foreignGroup, ...Object.values(world.records.foreign)];
  }
  return [world.students.inGroup, world.students.sameSchool, world.students.otherSchool, world.schools.own, world.schools.other, world.group,
    world.actors.groupTeacher.id, ...Object.values(world.records.inGroup)];
}

describe('authorisation matrix', () => {
  it('covers every route the API serves', () => {
    const routeNames = [...routes.map((route) => route.name), 'dev-token', 'dev-jwks'];
    const missing = routeNames.filter((name) => !FIXTURES[name]);
    expect(missing, 'routes without an authorisation-matrix fixture').toEqual([]);
  });

  it('every route x every caller x own/foreign municipality, school and group: the expected status, no foreign data', async () => {
    const failures: string[] = [];
    const attemptedIds = new Set<string>();
    const cases = casesOf(routes);
    expect(cases.length).toBeGreaterThan(500);
    for (const { route, actor, variant, fixture } of cases) {
      const path = `${pathFor(route, world, variant)}${fixture.query ? `?${fixture.query}` : ''}`;
      const headers: Record<string, string> = fixture.ifMatch ? { 'if-match': '"stale-etag"' } : {};
      const body = fixture.body?.(world, variant);
      const auditBefore = route.audit ? await auditEntries() : 0;
      const response = await test.request(route.method, path, { token: tokens.get(actor.name), headers, ...(body === undefined ? {} : { body }) });
      const expected = expectedStatus(route, fixture, actor, variant);
      const label = `${route.name} [${variant.label}] as ${actor.name}`;
      if (route.audit) {
        // A read audited as an attempt leaves exactly one entry once its handler runs, whatever it answers (a 404
        // of a student the caller may not see, too), and none when the dispatcher refused it before (another
        // tenant's 404, a missing role's 403). Any other audited route: one entry for a success, none for a
        // refusal or for a list that named nobody (the dispatcher skips an entry without targets).
        const written = (await auditEntries()) - auditBefore;
        const emptyList = route.audit.action === 'list' && Array.isArray(response.body?.items) && response.body.items.length === 0;
        const handled = refusedBeforeHandler(route, actor, variant) === undefined;
        const wanted = route.audit.attempts ? Number(handled) : Number(response.status < 300 && !emptyList);
        if (written !== wanted) failures.push(`${label}: ${response.status} wrote ${written} audit entries, expected ${wanted}`);
      }
      if (response.status !== expected) failures.push(`${label}: expected ${expected}, got ${response.status} ${response.text.slice(0, 160)}`);
      if (response.status >= 400 && !response.headers.get('content-type')?.includes('application/problem+json')) failures.push(`${label}: error without problem+json`);
      // An attempted read is audited with the id the caller sent, found or not: the audit log then names an id
      // the caller typed (not one the API gave away). Only those ids, and only in the audit log, are expected.
      if (route.audit?.attempts && response.status === 404) for (const id of path.split(/[/?]/)) attemptedIds.add(id);
      if (actor.kind === 'staff') {
        const leaked = foreignIds(actor.place ?? 'home').filter((id) => response.text.includes(id) && !(route.name === 'list-audit' && attemptedIds.has(id)));
        if (leaked.length > 0) failures.push(`${label}: foreign ids in the body: ${leaked.join(', ')}`);
      }
      if (actor.kind === 'operator' && route.path.includes('{municipalityId}') && /Åse|Ørjan|Ærlend|Frida|Testesen/.test(response.text)) {
        failures.push(`${label}: student data reached a platform operator`);
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('lists show exactly what the caller may see', async () => {
    for (const actor of ACTORS.filter((candidate) => candidate.kind === 'staff' && candidate.place === 'home')) {
      const response = await test.request('GET', `/municipalities/${world.home}/students?limit=100`, { token: tokens.get(actor.name) });
      const seen = response.body.items.map((item: { id: string }) => item.id);
      const expected = (['inGroup', 'sameSchool', 'otherSchool'] as const).filter((key) => seesStudent(actor, key)).map((key) => world.students[key]);
      expect(seen.filter((id: string) => Object.values(world.students).includes(id)).sort(), actor.name).toEqual(expected.sort());
    }
  });
});
