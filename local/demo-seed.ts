import type { StaffPrincipal } from '../lib/access/scopes.js';
import type { StoredStudent } from '../lib/directory/students.js';
import { FINAL_STATUSES, type RosterImportView, type RosterUpload } from '../lib/roster-import/roster-import-model.js';
import type { Services } from '../lib/services.js';
import { DEMO_MUNICIPALITY, DEMO_MUNICIPALITY_NAME, DEMO_STAFF, demoStaffEmail, demoStudents, type DemoStaff } from './demo-people.js';
import { demoRosterZip, inDemoRoster } from './demo-roster.js';
import { DEV_ISSUER, mintDevToken, type DevIssuerKeys } from './dev-issuer.js';

export { DEMO_MUNICIPALITY, DEMO_STAFF } from './demo-people.js';

/** The running API the import goes through, and the dev issuer's keys to sign its admin in. */
export interface SeedApi {
  /** Base URL, e.g. http://127.0.0.1:7071/api. */
  url: string;
  keys: DevIssuerKeys;
}

export interface SeedOutcome {
  /** Whether this seed registered the municipality, or found it (emulators of your own keep it). */
  municipality: 'seeded' | 'already present';
  /** The roster import that brought the directory in step with the declaration. */
  roster: RosterImportView;
}

/** How long the seed waits for its import: minutes on a loaded machine, then it says so rather than hang. */
const IMPORT_TIMEOUT_MS = 5 * 60_000;
const POLL_MS = 100;
/** The records author: a teacher of the declaration. */
const AUTHOR = 'demo-teacher';

const devIdentity = (subject: string) => ({ issuer: DEV_ISSUER, subject });
const personKey = (person: { givenName: string; familyName: string; birthDate: string }) => `${person.givenName}\n${person.familyName}\n${person.birthDate}`;

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += size) await Promise.all(items.slice(start, start + size).map(work));
}

/**
 * The demo municipality (local/demo-people.ts, as of the services' clock). Its schools, staff
 * of the school roles, pupils and groups come from the OneRoster set of the same declaration
 * (local/demo-roster.ts), imported through the running API as an admin's client would do it
 * (upload URL, PUT to Blob Storage, start, follow the run; the orchestration needs the durable
 * client that only a function invocation has), so every `npm start` runs an import end to end.
 * What a roster cannot hold is written through the API's use cases: the municipality, its
 * municipality and data admins (one of them starts the import), and the pupils' records.
 * Idempotent: when the municipality is there, the same set is imported again, which writes
 * nothing unless the declaration has moved on (a new school year); records are not repeated.
 */
export async function seedDemoData(services: Services, api: SeedApi): Promise<SeedOutcome> {
  if (services.config.rosterIdentity.issuer !== DEV_ISSUER) {
    throw new Error(`The demo staff sign in with the dev issuer, so the demo roster needs ROSTER_IDENTITY_ISSUER unset (or ${DEV_ISSUER})`);
  }
  const present = (await services.municipalities.find(DEMO_MUNICIPALITY)) !== undefined;
  if (!present) {
    await services.municipalities.register({ id: DEMO_MUNICIPALITY, name: DEMO_MUNICIPALITY_NAME });
    await services.settings.initialise(DEMO_MUNICIPALITY);
    for (const person of DEMO_STAFF.filter((candidate) => !inDemoRoster(candidate))) {
      await services.users.create(DEMO_MUNICIPALITY, { name: person.name, email: demoStaffEmail(person), roles: person.roles, schoolIds: [], identity: devIdentity(person.subject) });
    }
  }
  const roster = await importDemoRoster(services, api);
  if (!present) await writeDemoRecords(services);
  return { municipality: present ? 'already present' : 'seeded', roster };
}

/** What `npm start` says of the seed: the documents the import created or changed (the run's `operations` counts bulk requests, not documents). */
export function describeSeed({ municipality, roster }: SeedOutcome): string {
  const changes = Object.values(roster.files).reduce((sum, file) => sum + file.created + file.updated + file.leaver + file.closed, 0);
  const how = municipality === 'seeded' ? 'its schools, staff, pupils and groups by a roster import' : 'its roster imported again';
  return `${municipality}, ${how} (${changes} change${changes === 1 ? '' : 's'})`;
}

/** Uploads the demo set the way a client does (a URL from the API, a PUT to Blob Storage), imports it in bulk as an admin, and follows the run. */
async function importDemoRoster(services: Services, api: SeedApi): Promise<RosterImportView> {
  const admin = DEMO_STAFF.find((person) => !inDemoRoster(person) && person.roles.some((role) => role === 'data-admin' || role === 'municipality-admin')) as DemoStaff;
  const headers = { authorization: `Bearer ${await mintDevToken(api.keys, admin.subject)}`, 'content-type': 'application/json' };
  const call = async <T>(method: string, path: string, expected: number, body?: unknown): Promise<{ body: T; location: string | null }> => {
    const response = await fetch(new URL(path, `${api.url}/`), { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (response.status !== expected) throw new Error(`The demo roster import: ${method} ${path} answered ${response.status} ${await response.text()}`);
    return { body: (await response.json()) as T, location: response.headers.get('location') };
  };
  const zip = demoRosterZip({ today: services.clock.now(), identityType: services.config.rosterIdentity.type });
  const upload = (await call<RosterUpload>('POST', `municipalities/${DEMO_MUNICIPALITY}/roster-uploads`, 201)).body;
  const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/zip' }, body: zip });
  if (put.status !== 201) throw new Error(`Uploading the demo roster to Blob Storage answered ${put.status}`);
  const started = await call<RosterImportView>('POST', `municipalities/${DEMO_MUNICIPALITY}/roster-imports`, 202, { blob: upload.blob, mode: 'bulk', dryRun: false });
  // Location is the run's path from the host's root (/api/...).
  const runPath = new URL(started.location ?? '', api.url).href;
  const deadline = Date.now() + IMPORT_TIMEOUT_MS;
  let run = started.body;
  // Until the run stops: completed, or failed (resumable), superseded or expired (which never move on).
  while (run.status !== 'failed' && !FINAL_STATUSES.includes(run.status)) {
    if (Date.now() > deadline) throw new Error(`The demo roster import ${run.id} has not finished after ${IMPORT_TIMEOUT_MS / 60_000} minutes (${run.status})`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    run = (await call<RosterImportView>('GET', runPath, 200)).body;
  }
  // The declaration and the import must agree entirely: a rejected row is a bug in one of them.
  if (run.status !== 'completed' || run.rejected > 0 || run.failedWrites > 0) {
    const rows = run.rejections.map((row) => `${row.file}:${row.line} ${row.column} ${row.reason}`).join('; ');
    throw new Error(`The demo roster import ${run.id} ${run.status}: ${run.failure ?? ''} ${run.rejected} rows rejected ${rows}, ${run.failedWrites} writes failed`);
  }
  return run;
}

async function staff(services: Services, subject: string): Promise<StaffPrincipal> {
  const principal = await services.principals.resolve(devIdentity(subject), DEMO_MUNICIPALITY);
  if (principal.kind !== 'staff' || principal.municipalityId !== DEMO_MUNICIPALITY) throw new Error(`The demo's ${subject} does not sign in as staff of ${DEMO_MUNICIPALITY}: not imported, or erased`);
  return principal;
}

/** Each declared pupil's records, under the pupil the import stored (known by name and birth date, unique in the declaration). */
async function writeDemoRecords(services: Services): Promise<void> {
  const stored = new Map<string, StoredStudent>();
  let continuationToken: string | undefined;
  do {
    const page = await services.students.list(DEMO_MUNICIPALITY, { all: true, schoolIds: [] }, {}, { limit: 100, continuationToken });
    for (const student of page.items) stored.set(personKey(student), student);
    continuationToken = page.continuationToken ?? undefined;
  } while (continuationToken);
  const author = (await staff(services, AUTHOR)).userId;
  await inBatches(demoStudents(services.clock.now()), 10, async (declared) => {
    const student = stored.get(personKey(declared));
    if (!student) throw new Error('The demo roster import did not store a declared pupil');
    await services.records.create('assessment', student, author, declared.records.assessment);
    await services.records.create('evaluation', student, author, declared.records.evaluation);
    if (declared.records.grade) await services.records.create('grade', student, author, declared.records.grade);
  });
}
