import type { Role } from '../identity/principal.js';
import type { AnyRoute, PromiseId } from './route.js';

/**
 * The words of the API, each explained once for every schema that uses it: a property's
 * description here applies wherever the property has none of its own (`.meta()` on the zod
 * schema wins). Norwegian school terms are given in English with the Norwegian word.
 */
interface Term {
  description: string;
  example?: unknown;
  /** Examples for other uses of the same word, tried in order when `example` does not suit a use. */
  alternatives?: readonly unknown[];
}

const ID = (what: string, example = '3f6c1b9e-8a2d-4c57-9e1f-2b7d5a4c8e10'): Term => ({ description: `Id of ${what} (UUID).`, example });

export const PROPERTY_TERMS: Record<string, Term> = {
  // Envelope and identity of resources
  id: { description: 'Id of this resource: a UUID, for a municipality its 4-digit kommunenummer.', example: '3f6c1b9e-8a2d-4c57-9e1f-2b7d5a4c8e10' },
  items: { description: 'The entries of this page (for an export: how many entries the section holds).' },
  continuationToken: { description: 'Opaque token for the next page; `null` on the last page. Send it back unchanged as the `continuationToken` query parameter with the same filters. It only works for the caller it was issued to.', example: null },
  limit: { description: 'Entries per page, 1 to 100.', example: 25 },
  createdAt: { description: 'When it was created (UTC, ISO 8601).', example: '2026-08-17T07:45:12.000Z' },
  updatedAt: { description: 'When it was last changed (UTC, ISO 8601).', example: '2026-09-02T11:20:40.000Z' },
  version: { description: 'A version label: of the privacy policy (e.g. `2026-08`), or of the running app for `/health`.', example: '2026-08' },
  // Tenants, schools, people
  municipalityId: { description: 'The municipality (kommune), by its 4-digit kommunenummer, e.g. 4601 Bergen. Every piece of data belongs to one municipality, the controller (P1).', example: '4601' },
  name: { description: 'Display name.', example: 'Åsane skole' },
  organisationNumber: { description: "The school's 9-digit organisasjonsnummer in Enhetsregisteret.", example: '974600951' },
  schoolId: ID('a school (skole)', '8e2a4c6d-0b1f-4d3e-a5c7-9f1b3d5e7a20'),
  schoolIds: { description: 'Schools (skoler) by id: the schools a staff member works at, or that a role is limited to.', example: ['8e2a4c6d-0b1f-4d3e-a5c7-9f1b3d5e7a20'] },
  groupId: ID('a group (klasse or faggruppe)'),
  groupIds: { description: 'The groups (klasser, faggrupper) the student is a member of.', example: ['9a4e2f71-5c3b-4d8a-a1e6-7b2c9d0f3e58'] },
  teacherIds: { description: 'Staff users who teach the group (kontaktlærer or faglærer); with `studentVisibility: group` they see its students.', example: ['c2d7e9f1-4b6a-4e3c-8d5f-1a9b7c3e2d40'] },
  studentId: ID('a student (elev)', '5b7d9f1a-3c5e-4f70-8a2c-4e6a8c0e2b47'),
  studentIds: { description: 'Students (elever) by id.', example: ['5b7d9f1a-3c5e-4f70-8a2c-4e6a8c0e2b47'] },
  userId: ID('a staff user (ansatt)', 'c2d7e9f1-4b6a-4e3c-8d5f-1a9b7c3e2d40'),
  givenName: { description: 'Given name (fornavn).', example: 'Ingrid' },
  familyName: { description: 'Family name (etternavn).', example: 'Haugen' },
  birthDate: { description: 'Date of birth (fødselsdato), ISO 8601 date.', example: '2012-03-14' },
  yearLevel: { description: 'Year level (trinn), 1-13: 1.-7. trinn barneskole, 8.-10. ungdomsskole, 11-13 videregående (Vg1-Vg3). For a record: the level when it was made.', example: 8 },
  leftAt: { description: 'The day a leaver (avgangselev or one who moved away) left the school; only when `status` is `leaver`.', example: '2026-06-19' },
  email: { description: 'Work email address.', example: 'ingrid.haugen@bergen.kommune.no' },
  phone: { description: 'Phone number, digits and spaces, optionally with a leading +.', example: '+47 55 56 70 00' },
  roles: { description: 'Roles in the municipality; see the role list in the API description and docs/role-model.md.', example: ['teacher'] },
  identity: { description: 'The sign-in identity that maps to this user: the `iss` and `sub` claims of their ID token.' },
  issuer: { description: 'The identity provider, exactly as the `iss` claim of the user\'s ID token (e.g. Feide `https://auth.dataporten.no`, or an Entra ID tenant).', example: 'https://auth.dataporten.no' },
  subject: { description: 'For an identity: the `sub` claim of the user\'s ID token (stable per user and provider). For a message: its subject line.', example: 'f1d2c3b4-a5e6-4f70-8192-a3b4c5d6e7f8' },
  studentVisibility: { description: 'Which students a teacher sees (P5, chosen by the data admin): those in their groups, at their schools, or in the whole municipality. Staff with admin roles see by their role scope.' },
  leaverReportRetentionMonths: { description: 'How many months leaver reports (avgangsrapporter) are kept, 1-12 (P4).', example: 12 },
  leaverYearLevels: { description: 'The year levels (trinn) whose students get a leaver report when they finish, e.g. 7 and 10.', example: [10] },
  memberships: { description: 'The municipalities (kommunenummer) the caller is staff in.', example: ['4601'] },
  closedAt: { description: 'When the group was closed (e.g. at the end of the school year); absent while it is open.', example: '2026-06-19T12:00:00.000Z' },
  // Roster import (tests/roster-import, docs/roster-import.md)
  uploadUrl: { description: 'Where to upload the roster file, in one PUT: a short-lived URL that may create this one upload only (create permission, no write), so it cannot overwrite the file once written. It cannot cap the size: the import refuses a file over maxBytes.', example: 'https://engagestorage.blob.core.windows.net/roster-uploads/4601/9d1c5e7a.zip?sv=2025-05-05&se=2026-09-14T09%3A00%3A00Z&sp=c&sig=…' },
  failure: { description: 'Why the import stopped, by code; `null` unless it failed.', example: null },
  file: { description: 'Which file of the upload.', example: 'elever.csv' },
  line: { description: 'Line in the file, counting from 1.', example: 12 },
  column: { description: 'Column of the file.', example: 'fodselsdato' },
  reason: { description: 'Why the value was refused (never the value itself).', example: 'not a valid date' },
  mode: { description: 'How to read the roster: `bulk` (the files are the whole roster: who is missing becomes a leaver, groups missing are closed) or `delta` (only the rows in the files change).', example: 'delta' },
  maxBytes: { description: 'The largest file the upload URL accepts, in bytes.', example: 52428800 },
  files: { description: 'Progress per file of the roster, by file name.' },
  rejected: { description: 'Rows refused (the first are in `rejections`; none is written).', example: 0 },
  rejections: { description: 'The first refused rows: where and why, never the value.' },
  samples: { description: 'The first rows of each kind of change: what a bulk or delta import does (and, in a dry run, would do).' },
  batches: { description: 'Write batches planned.', example: 12 },
  appliedBatches: { description: 'Write batches written so far.', example: 12 },
  failedWrites: { description: 'Planned writes that failed when applied (a document changed through the API meanwhile, an identity taken).', example: 0 },
  operations: { description: 'Database requests of the import\'s own reads and writes of the directory.' },
  read: { description: 'Rows read.', example: 412 },
  created: { description: 'Rows that created a school, staff user, student or group.', example: 28 },
  updated: { description: 'Rows that changed one.', example: 5 },
  unchanged: { description: 'Rows that changed nothing.', example: 379 },
  leaver: { description: 'Students made leavers (avgangselever) because a bulk roster no longer lists them.', example: 0 },
  closed: { description: 'Groups closed because a bulk roster no longer lists them.', example: 0 },
  kept: { description: 'Stored students not made leavers, groups not closed and groups whose members were not removed, because a rejected row names them (a row that could not be read is not taken to mean the person or class is gone).', example: 0 },
  reads: { description: 'Point reads.', example: 40 },
  queries: { description: 'Queries.', example: 6 },
  writes: { description: 'Writes.', example: 33 },
  redactions: { description: "Mentions of the erased people's names replaced in other people's free text, by the module that keeps the text (the name sweep of P3).", example: { records: 2 } },
  restoredTo: { description: 'The moment the database was restored to (from a backup): erasures accepted since then are carried out again.', example: '2026-09-13T22:00:00+02:00' },
  state: { description: 'Where the run is.', example: 'running' },
  recordId: ID('a record: a kartlegging, vurdering or karakter', '7d9f1b3c-5e7a-4c2e-9f4a-6b8d0c2e4f61'),
  fields: { description: 'The column names found.', example: ['fornavn', 'etternavn', 'fodselsdato', 'trinn'] },
  // Records: kartlegging, vurdering, karakter
  authorId: { description: 'The staff user who wrote the record; `null` once that user is erased (P3).', example: 'c2d7e9f1-4b6a-4e3c-8d5f-1a9b7c3e2d40' },
  testCode: { description: 'Code of the screening test (kartleggingsprøve), e.g. the national reading test for 2. trinn.', example: 'LES-2-HOST' },
  date: { description: 'The day it happened, ISO 8601 date.', example: '2026-09-14' },
  score: { description: 'Points scored on the screening test (kartleggingsprøve), 0 to `maxScore`.', example: 34 },
  maxScore: { description: 'Highest possible points on the test.', example: 40 },
  belowThreshold: { description: 'Whether the score is under the test\'s bekymringsgrense (the threshold that calls for follow-up of the student).', example: false },
  subjectCode: { description: 'Subject code (fagkode) from Utdanningsdirektoratet, three letters and four digits, e.g. NOR0214 Norsk hovedmål 10. trinn, MAT0010 Matematikk 10. trinn.', example: 'NOR0214' },
  text: { description: 'Free text: the written evaluation (vurdering), the complaint, message or policy text. Plain text; no special categories of personal data (P19).', example: 'Ingrid leser sikkert og reflekterer godt over tekstene.' },
  grade: { description: 'The grade (karakter): `1`-`6`, 6 the best and 1 a fail, or one of the letters `IV`, `F`, `D` explained below.', example: '5' },
  term: { description: 'The term (termin): `autumn` (høst) or `spring` (vår).', example: 'spring' },
  schoolYear: { description: 'The school year (skoleår), e.g. `2025-2026` for August 2025 to June 2026.', example: '2025-2026' },
  kind: { description: 'For a grade: `standpunkt` or `eksamen`, explained below. For `/me`: what kind of caller this is.', example: 'standpunkt' },
  // Erasure, audit, exports, disclosures
  subjectType: { description: 'Whether the person is a student (elev) or a staff user.', example: 'student' },
  subjectId: ID('the person (student or staff user) it is about'),
  subjectIds: { description: 'The persons (students or staff users) it is about, by id.', example: ['3f6c1b9e-8a2d-4c57-9e1f-2b7d5a4c8e10'] },
  instructionReference: { description: "The controller's reference for the instruction (e.g. a case number in the municipality's archive); required for every erasure (P16). Not personal data.", example: '2026/1432-3' },
  requestedBy: {
    description: "The staff user who asked for it. Once that user is erased: `null`, or on a roster import the audit's keyed pseudonym of them (`erased:…`), under which its later audit entries name them (`erased` on runs whose starter was erased before 2026-12-01).",
    example: 'c2d7e9f1-4b6a-4e3c-8d5f-1a9b7c3e2d40',
  },
  counts: { description: 'Progress by subject.' },
  subjects: { description: 'How many persons it covers.', example: 1 },
  completed: { description: 'How many are done.', example: 1 },
  failed: { description: 'How many failed (and will be retried or need attention).', example: 0 },
  finishedAt: { description: 'When it finished; `null` while it runs.', example: '2026-09-14T08:31:02.000Z' },
  startedAt: { description: 'When it started; `null` before.', example: '2026-09-14T08:30:00.000Z' },
  deadline: { description: 'When it must be done by (its promise), `null` if none.', example: '2026-09-15T08:30:00.000Z' },
  overdue: { description: 'Whether its deadline has passed without it being done.', example: false },
  auditPseudonyms: { description: 'Keyed pseudonyms that name the erased persons in the audit log from now on (P3): accountable, never re-identifiable without the key.', example: ['ps_7Qm2vX9kLr'] },
  at: { description: 'When it happened (UTC, ISO 8601).', example: '2026-09-14T08:30:00.000Z' },
  actorId: { description: 'The staff user or operator who did it; `null` once erased (then `auditPseudonyms` names them).', example: 'c2d7e9f1-4b6a-4e3c-8d5f-1a9b7c3e2d40' },
  actorRole: { description: 'The role the actor acted in.', example: 'teacher' },
  action: { description: 'What was done.', example: 'read' },
  resourceType: { description: 'The kind of resource: `student`, `user`, `assessment`, `evaluation`, `grade`, `export`, `leaver-report`, ….', example: 'grade' },
  targetIds: { description: 'The ids it touched.', example: ['3f6c1b9e-8a2d-4c57-9e1f-2b7d5a4c8e10'] },
  month: { description: 'A month, `YYYY-MM` (entries are kept per month).', example: '2026-09' },
  targetId: { description: 'Only entries that name this id.', example: '3f6c1b9e-8a2d-4c57-9e1f-2b7d5a4c8e10' },
  recipient: { description: 'Who receives it: for a disclosure the third party by name (e.g. Statsforvalteren i Vestland); for an export the controller itself or a third party.', example: 'Statsforvalteren i Vestland' },
  basis: { description: 'The legal basis of a disclosure (P13).', example: 'legal-obligation' },
  reference: { description: 'Reference of the basis: the consent record, the law paragraph or the court order\'s case number.', example: 'TVI-2026-118234' },
  dataCategories: { description: 'The kinds of data disclosed.', example: ['grades'] },
  disclosedAt: { description: 'When it was disclosed (not in the future).', example: '2026-09-10T12:00:00.000Z' },
  registeredBy: { description: 'The data admin who registered it; `null` once erased.', example: 'c2d7e9f1-4b6a-4e3c-8d5f-1a9b7c3e2d40' },
  disclosureId: ID('the registered disclosure (utlevering) that allows it; needed for a third party', '6b8d0f2a-1c3e-4a5b-9d7f-8e0a2c4b6d18'),
  exportId: ID('an export'),
  erasureId: ID('an erasure (sletting)'),
  readyAt: { description: 'When the file was ready; `null` until then.', example: '2026-09-14T08:30:40.000Z' },
  expiresAt: { description: 'When it expires and is removed (UTC, ISO 8601).', example: '2026-09-21T08:30:40.000Z' },
  sizeBytes: { description: 'Size of the file in bytes; `null` until ready.', example: 48213 },
  sections: { description: 'What the export holds, one section per kind of data, from each module that keeps personal data.' },
  provider: { description: 'The module that contributed the section.', example: 'records' },
  download: { description: 'Where to download the file while it is ready (`GET …/download`, same authorisation); `null` otherwise.', example: '/api/municipalities/4601/exports/3f6c1b9e-8a2d-4c57-9e1f-2b7d5a4c8e10/download' },
  filter: { description: 'Which students the instruction covers (at most the listed limit).' },
  leftBefore: { description: 'Students who left before this day.', example: '2025-07-01' },
  // Leaver reports
  runId: ID('a leaver-report run'),
  reportId: ID('a leaver report (avgangsrapport)'),
  requested: { description: 'How many reports were asked for.', example: 28 },
  generated: { description: 'How many were produced.', example: 27 },
  skipped: { description: 'How many were left out (the warnings say why).', example: 1 },
  warnings: { description: 'Why reports were left out, by code.' },
  code: { description: 'What kind of warning.', example: 'no-records' },
  message: { description: 'The message text (plain text).', example: 'Eleven mangler standpunktkarakter i ett fag.' },
  formats: { description: 'The stored files, by format.' },
  pdf: { description: 'The PDF file.' },
  json: { description: 'The JSON file.' },
  bytes: { description: 'Size in bytes.', example: 48213 },
  format: { description: 'File format.', example: 'json' },
  // Sessions, consents, policy, complaints, support
  idleTimeoutSeconds: { description: 'The session ends after this many seconds without a request.', example: 1800 },
  language: { description: 'Language: `nb` Norwegian bokmål, `nn` nynorsk, `en` English.', example: 'nb' },
  languages: { description: 'The languages the text exists in.', example: ['nb', 'en'] },
  purposes: { description: 'Every purpose that needs consent (P9), with the caller\'s choice.' },
  purpose: { description: 'A purpose beyond running the service, which needs the user\'s consent (P9).', example: 'newsletter' },
  title: { description: 'Short title.', example: 'Nyhetsbrev' },
  description: { description: 'What it means, for the user.', example: 'E-post om nye funksjoner, omtrent en gang i måneden.' },
  granted: { description: 'Whether consent is given now.', example: true },
  policyVersion: { description: 'The privacy-policy version in force when the choice was made.', example: '2026-08' },
  history: { description: 'Every earlier change, oldest first.' },
  changeType: { description: 'How big the change is (P18): `major` changes are announced prominently by email.', example: 'minor' },
  reducesRights: { description: 'Whether the version reduces users\' rights; then it applies to a user only after they accept it (P18).', example: false },
  effectiveFrom: { description: 'When the version takes effect (UTC).', example: '2026-10-01T00:00:00.000Z' },
  publishedAt: { description: 'When it was published.', example: '2026-09-01T09:00:00.000Z' },
  acceptedAt: { description: 'When the user accepted it.', example: '2026-09-14T08:30:00.000Z' },
  policy: { description: 'Where the caller stands with the privacy policy (P18).' },
  appliesVersion: { description: 'The version that applies to the caller now.', example: '2026-08' },
  pendingVersion: { description: 'A version that reduces rights and waits for the caller\'s acceptance; `null` if none.', example: null },
  contact: { description: 'How to reach the complainant (email address or phone); used only for the follow-up.', example: 'ola.nordmann@example.no' },
  followUpBy: { description: 'When the complaint must have been followed up (P17).', example: '2026-10-14T08:30:00.000Z' },
  receivedAt: { description: 'When it was received.', example: '2026-09-14T08:30:00.000Z' },
  year: { description: 'A calendar year.', example: 2026 },
  note: { description: 'What was done (for the follow-up record).', example: 'Ringte klageren og forklarte rutinen.' },
  complaintId: ID('a complaint (klage)'),
  requestId: ID('a support request'),
  messages: { description: 'The conversation, oldest first.' },
  author: { description: 'Who wrote it.', example: 'requester' },
  lastAuthor: { description: 'Who wrote the last message.', example: 'operator' },
  // Jobs, usage, analytics, health
  job: { description: 'A retention job by name.', example: 'usage-anonymisation' },
  asOf: { description: 'Run as of this day instead of today (a future day only in local mode).', example: '2026-09-14' },
  dryRun: { description: 'Count what would be done, change nothing.', example: false },
  trigger: { description: 'What started the run.', example: 'schedule' },
  processed: { description: 'Accounts processed.', example: 12 },
  remaining: { description: 'Accounts still due.', example: 0 },
  records: { description: 'Records changed.', example: 340 },
  failures: { description: 'Failed attempts (retried).', example: 0 },
  events: { description: 'Usage events (P6): what was used, when, from which device. For analytics: how many events.', example: 120 },
  type: { description: 'What kind of usage event.', example: 'page-view' },
  feature: { description: 'Which part of the app, as a lower-case path such as `grades/list`.', example: 'grades/list' },
  deviceId: { description: 'An app-chosen device id (usage information, P6).', example: 'ios-4F2A9C7E-11B3' },
  accepted: { description: 'How many events were stored.', example: 3 },
  model: { description: 'Device model.', example: 'iPhone 15' },
  os: { description: 'Operating system.', example: 'ios' },
  osVersion: { description: 'Operating system version.', example: '18.2' },
  network: { description: 'Mobile network operator.', example: 'Telenor' },
  registeredAt: { description: 'When it was registered.', example: '2026-09-14T08:30:00.000Z' },
  from: { description: 'First day, inclusive.', example: '2026-09-01' },
  to: { description: 'Last day, inclusive.', example: '2026-09-30' },
  groupBy: { description: 'What to aggregate by.', example: 'feature' },
  minimumGroupSize: { description: 'Cells with fewer people than this are suppressed (P7).', example: 5 },
  cells: { description: 'One aggregate per key.' },
  key: { description: 'The feature, day or school id of the cell.', example: 'grades/list' },
  suppressed: { description: 'Whether the cell is hidden because it covers fewer than `minimumGroupSize` people (P7).', example: false },
  people: { description: 'How many distinct people (0 when suppressed).', example: 37 },
  total: { description: 'All cells together.' },
  checks: { description: 'Each dependency\'s state.' },
  cosmos: { description: 'The database (Cosmos DB).', example: 'ok' },
  blob: { description: 'For `/health`: file storage (Blob Storage). For a roster import: the uploaded file, `<municipality>/uploads/<upload id>.zip`, as the upload URL wrote it.', example: 'ok', alternatives: ['4601/uploads/9d1c5e7a-2b4f-4c6d-8e0a-1f3b5d7c9e2a.zip'] },
  asset: { description: 'A static file of the documentation page.', example: 'swagger-ui.css' },
  status: { description: 'Where it is in its life; each value is listed below.' },
  // The local development issuer
  sub: { description: 'The subject of the token, e.g. `demo-teacher` (the demo seed\'s users).', example: 'demo-teacher' },
  expiresInSeconds: { description: 'Lifetime of the token in seconds, 60 to 86400 (default 3600).', example: 3600 },
  access_token: { description: 'The signed token (JWS), for `Authorization: Bearer`.', example: 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImRldiJ9.eyJzdWIiOiJkZW1vLXRlYWNoZXIifQ.c2lnbmF0dXJl' },
  token_type: { description: 'Always `Bearer`.' },
  expires_in: { description: 'Seconds until it expires.', example: 3600 },
};

/** Enum values whose meaning is not evident from the word. */
export const ENUM_VALUES: Record<string, string> = {
  'leaver': 'has left the school (avgangselev, or moved away); keeps `leftAt`',
  'group': 'teachers see the students of the groups they teach',
  'school': 'teachers see the students of their schools',
  'municipality': 'teachers see every student of the municipality',
  'standpunkt': 'standpunktkarakter: the final grade the teacher sets in a subject',
  'eksamen': 'eksamenskarakter: the grade of a written or oral exam',
  'IV': 'ikke vurdert: not assessed, too little basis for a grade',
  'F': 'fritatt: exempt from assessment in the subject',
  'D': 'deltatt: took part (subjects without number grades)',
  'referred-to-authority': 'passed to Datatilsynet or another authority',
  'legal-obligation': 'a law requires the disclosure',
  'controller': 'the municipality itself (the controller), e.g. to answer an access request',
  'third-party': 'someone else; needs a registered disclosure (P13)',
  'product-research': 'taking part in research to improve the product',
  'major': 'announced prominently, by email to every user (P18)',
  'unregistered': 'a valid token whose identity is not a user of any municipality',
  'operator': 'for `/me`: a platform operator; for messages: written by support',
  'requester': 'written by the user who opened the request',
  'expired': 'the file was removed after its retention; request a new export',
};

const ROLE_TEXTS: Record<Role, string> = {
  'teacher': 'teacher (lærer): sees students per the municipality\'s visibility setting, writes their records',
  'school-admin': 'school admin (rektor or skoleadministrator): manages the schools assigned to them',
  'municipality-admin': 'municipality admin (kommuneadministrator): manages every school of the municipality',
  'data-admin': "data admin: acts for the controller: visibility, exports, disclosures, erasures",
  'platform-operator': 'platform operator: runs the platform; never reads a municipality\'s personal data',
};

/** The privacy statement's promises, as the product brief numbers them. */
export const PROMISES: Record<PromiseId, string> = {
  P1: 'the municipality is controller; data is scoped to one municipality',
  P2: 'users and students are registered with their kartlegginger, vurderinger and karakterer',
  P3: 'deleting a person removes the links and anonymises their records',
  P4: 'leaver reports are produced and kept at most 12 months',
  P5: 'identifiable data is seen only within the organisation, per the controller\'s setup',
  P6: 'usage, device and request-log information',
  P7: 'analysis uses aggregates only',
  P8: 'contact with support is recorded; email informs about changes',
  P9: 'consent before any other purpose',
  P10: 'usage information is anonymised within 3 months of account deletion',
  P11: 'cookies only keep you signed in and remember choices',
  P12: 'availability is monitored',
  P13: 'no disclosure without consent, legal basis or court order',
  P14: 'export in other formats via the data admin',
  P15: 'always processed in the EU/EEA',
  P16: 'deletion only per the controller\'s instruction',
  P17: 'formal complaints are followed up',
  P18: 'rights are not reduced without consent; changes announced; versions archived',
  P19: 'no special categories of personal data',
};

/** Each tag's group of operations. */
export const TAGS: Record<string, string> = {
  'analytics': 'Aggregated usage statistics, small groups suppressed (P7).',
  'audit': 'Who read or changed what in the municipality (P1, P5).',
  'complaints': 'Formal complaints (klager) and their follow-up (P17).',
  'directory': 'Staff users (ansatte) and their roles.',
  'disclosures': 'The register of disclosures (utleveringer) to third parties (P13).',
  'erasure': 'Erasure (sletting) of students and staff per the controller\'s instruction (P3, P16).',
  'exports': 'Exports of everything kept about a person, for the data admin (P14).',
  'groups': 'Groups (klasser and faggrupper) of students with their teachers.',
  'identity': 'The signed-in caller.',
  'jobs': 'Retention jobs, run by schedule or by an operator.',
  'leaver-reports': 'Reports for leaving students (avgangsrapporter), kept at most 12 months (P4).',
  'local development': 'Only on the local host: tokens of the development issuer.',
  'operations': 'Health and this documentation.',
  'privacy': 'The privacy policy, its versions and acceptances (P18), and consents (P9).',
  'roster-import': 'Import of the roster (schools, staff, students, groups) from the export files of the school administration system (skoleadministrativt system) (docs/roster-import.md).',
  'records': 'Screening tests (kartlegginger), evaluations (vurderinger) and grades (karakterer) of a student (P2).',
  'schools': 'Schools (skoler) of a municipality.',
  'session': 'Browser sessions by cookie (P11).',
  'students': 'Students (elever).',
  'support': 'Support requests and their messages (P8).',
  'tenants': 'Municipalities (kommuner) and their settings.',
  'usage': 'Usage events and devices (P6).',
};

function whoMayCall(route: AnyRoute): string {
  switch (route.access.kind) {
    case 'public':
      return '**Who may call:** anyone, no token.';
    case 'authenticated':
      return '**Who may call:** any signed-in caller.';
    case 'roles':
      return ['**Who may call:**', ...route.access.roles.map((role) => `- ${ROLE_TEXTS[role]}`)].join('\n');
  }
}

/** Whether the path names a municipality, whose data (or a student in it) the caller may not see. */
function namesTenantData(route: AnyRoute): boolean {
  return route.access.kind !== 'public' && route.path.includes('{municipalityId}');
}

/** The operation's description: its own text, who may call it, the 404 rule, the promises it serves. */
export function operationDescription(route: AnyRoute): string {
  return [
    route.description ?? route.summary,
    whoMayCall(route),
    ...(namesTenantData(route)
      ? ['**Not visible is not found (P5):** an id in the path the caller may not see — another municipality, or a student outside their visibility — answers 404 `not-found`, exactly like one that does not exist.']
      : []),
    ...(route.promises && route.promises.length > 0
      ? [`**Serves:** ${route.promises.map((id) => `${id} (${PROMISES[id]})`).join('; ')}.`]
      : []),
  ].join('\n\n');
}
