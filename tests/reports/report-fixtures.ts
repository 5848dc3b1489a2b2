import { expect } from 'vitest';
import { extractText, getDocumentProxy } from 'unpdf';
import type { GenerationRunView, StoredLeaverReport } from '../../lib/reports/leaver-report-model.js';
import { LEAVER_REPORT_BLOB_CONTAINER } from '../../lib/reports/leaver-report-model.js';
import { createStaffUser, type TestApp } from '../support/test-app.js';
import { setVisibility, type SchoolWorld } from '../support/school-world.js';

export interface Leaver {
  id: string;
  givenName: string;
  familyName: string;
}

export const LEAVER_RECORDS = {
  grades: [
    { subjectCode: 'NOR0214', grade: '5', term: 'spring', schoolYear: '2030-2031', kind: 'standpunkt' },
    { subjectCode: 'MAT0010', grade: '4', term: 'spring', schoolYear: '2030-2031', kind: 'eksamen' },
    // Not in the catalogue: printed as the code alone.
    { subjectCode: 'KRØ1019', grade: '6', term: 'autumn', schoolYear: '2030-2031', kind: 'standpunkt' },
  ],
  assessments: [{ testCode: 'LES-10', date: '2030-09-15', score: 38, maxScore: 40, belowThreshold: false }],
  evaluations: [{ subjectCode: 'NOR0214', date: '2031-03-01', text: 'Særdeles god muntlig framføring; skriver nøyaktig og åpent om tekstene.' }],
} as const;

/**
 * Leavers at a school of the world, each with the records above. Records are written by a
 * teacher who sees every student: municipality-wide visibility for the set-up only.
 */
export async function createLeavers(test: TestApp, world: SchoolWorld, schoolId: string, names: [string, string][]): Promise<Leaver[]> {
  const base = `/municipalities/${world.home}`;
  const writer = await createStaffUser(test, world.home, ['teacher'], { schoolIds: [world.schools.own, world.schools.other] });
  await setVisibility(test, world.home, 'municipality', world.actors.dataAdmin);
  const leavers: Leaver[] = [];
  for (const [givenName, familyName] of names) {
    const created = await test.request('POST', `${base}/students`, {
      token: world.actors.municipalityAdmin.token,
      body: { givenName, familyName, birthDate: '2015-02-03', schoolId, yearLevel: 10, status: 'leaver', leftAt: '2031-06-20' },
    });
    expect(created.status, created.text).toBe(201);
    for (const [path, bodies] of Object.entries(LEAVER_RECORDS)) {
      for (const body of bodies) {
        const record = await test.request('POST', `${base}/students/${created.body.id}/${path}`, { token: writer.token, body });
        expect(record.status, record.text).toBe(201);
      }
    }
    leavers.push({ id: created.body.id, givenName, familyName });
  }
  await setVisibility(test, world.home, 'group', world.actors.dataAdmin);
  return leavers;
}

/** Starts a run and waits until it is done. */
export async function generate(test: TestApp, municipalityId: string, token: string, body: Record<string, unknown>): Promise<GenerationRunView> {
  const started = await test.request<GenerationRunView>('POST', `/municipalities/${municipalityId}/leaver-reports`, { token, body });
  expect(started.status, started.text).toBe(202);
  expect(started.headers.get('location')).toBe(`/api/municipalities/${municipalityId}/leaver-report-runs/${started.body.id}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const run = await test.request<GenerationRunView>('GET', `/municipalities/${municipalityId}/leaver-report-runs/${started.body.id}`, { token });
    expect(run.status, run.text).toBe(200);
    if (run.body.status === 'completed' || run.body.status === 'failed') return run.body;
    if (Date.now() > deadline) throw new Error(`run ${started.body.id} still ${run.body.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function pdfText(pdf: Uint8Array): Promise<string> {
  const { text } = await extractText(await getDocumentProxy(new Uint8Array(pdf)), { mergePages: true });
  return text;
}

/** Raw bytes of a route answer (the test client reads text). */
export async function download(test: TestApp, path: string, token: string): Promise<{ status: number; headers: Headers; bytes: Uint8Array }> {
  const response = await fetch(`${test.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

export async function blobNames(test: TestApp, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of test.app.services.blob.getContainerClient(LEAVER_REPORT_BLOB_CONTAINER).listBlobsFlat({ prefix })) names.push(blob.name);
  return names.sort();
}

/** Index entries of a municipality, as stored (a test may read the container directly). */
export async function indexEntries(test: TestApp, municipalityId: string): Promise<StoredLeaverReport[]> {
  const { resources } = await test.app.services.cosmos.containers.reports.items
    .query<StoredLeaverReport>({ query: "SELECT * FROM c WHERE c.municipalityId = @m AND c.type = 'leaver-report'", parameters: [{ name: '@m', value: municipalityId }] })
    .fetchAll();
  return resources;
}
