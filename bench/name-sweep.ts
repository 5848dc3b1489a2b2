/**
 * What the erasure's name sweep costs per 10,000 free texts (docs/name-sweep.md):
 *
 *   npm run bench -- name-sweep
 *
 * Fresh emulators (the Cosmos one with the linear query fix of bench/usage-anonymisation.ts,
 * so the seconds are not the test emulator's quadratic scan); 10,000 evaluations in one municipality over 500 students, 1% of them naming
 * the erased student. Then, side by side in one run: the redaction pass and the verification
 * pass of the real sweep (`sweepNamesPage`, 200 documents a page, one activity each), and the
 * matching alone in memory for one erased person and for a bulk erasure of 100.
 */
import { randomUUID } from 'node:crypto';
import type { OperationCounts } from '../lib/data/operation-counter.js';
import type { NameSweepState, StoredErasure } from '../lib/erasure/erasure-model.js';
import { NAME_SWEEP_PAGE_SIZE, startingSweep, sweepNamesPage } from '../lib/erasure/name-sweep.js';
import { NameMatcher, namePhrases, type NamedSubject } from '../lib/privacy/name-mentions.js';
import { generateDevKeys } from '../local/dev-issuer.js';
import { startLocalApp } from '../local/local-app.js';
import { freePort, startAzurite } from '../local/stack.js';
import { fmt, startBenchEmulator } from './bench-stack.js';

const TEXTS = 10_000;
const STUDENTS = 500;
const MENTIONING_SHARE = 0.01;
const MUNICIPALITY = '4601';
const SEED_CONCURRENCY = 8;

const FILLER = 'Viser god forståelse av tekstene og deltar aktivt i samtaler om dem. Arbeider selvstendig med oppgavene, ber om hjelp ved behov.';

function textOf(index: number): string {
  if (index % Math.round(1 / MENTIONING_SHARE) === 0) return `${FILLER} Samarbeidet godt med Zelda Slettemeg i gruppearbeid.`;
  // Shared first names and family names alone: what the rule must pass by.
  return `${FILLER} Hjalp Zelda og familien Nordmann med ${index % 7} oppgaver.`;
}

async function seed(create: (document: Record<string, unknown>) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < TEXTS) {
      const index = next++;
      const studentId = `student-${index % STUDENTS}`;
      await create({
        id: randomUUID(), type: 'evaluation', municipalityId: MUNICIPALITY, studentId, schoolId: 'school-1', yearLevel: 8,
        subjectCode: 'NOR0214', date: '2026-10-01', text: textOf(index), authorId: 'teacher-1', createdAt: '2026-10-01T08:00:00.000Z', updatedAt: '2026-10-01T08:00:00.000Z',
      });
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
}

interface PassResult {
  seconds: number;
  pages: number;
  mentions: number;
  operations: OperationCounts;
}

export async function run(): Promise<void> {
  const cosmos = await startBenchEmulator();
  const azurite = await startAzurite(await freePort(), 'in-memory', true);
  const app = await startLocalApp({ cosmosEndpoint: cosmos.endpoint, blobEndpoint: azurite.endpoint, devKeys: await generateDevKeys(), port: 0, env: { COSMOS_DATABASE: 'bench' } });
  try {
    const services = app.services;
    const records = services.cosmos.containers.records;
    console.log(`seeding ${TEXTS} evaluations ...`);
    await seed((document) => records.items.create(document));

    const erased: NamedSubject[] = [{ kind: 'student', phrases: namePhrases({ givenName: 'Zelda', familyName: 'Slettemeg' }) }];
    const erasure = { municipalityId: MUNICIPALITY, nameSweep: startingSweep(erased) } as StoredErasure;
    const pass = async (): Promise<PassResult> => {
      const started = performance.now();
      let pages = 0;
      let mentions = 0;
      const phase = erasure.nameSweep?.phase;
      const { counts } = await services.operations.measure(async () => {
        while (erasure.nameSweep?.phase === phase) {
          const step = await sweepNamesPage(services.privacy, erasure);
          erasure.nameSweep = step.state as NameSweepState;
          if (step.scanned > 0) pages += 1;
          mentions += Object.values(step.redacted).reduce((sum, count) => sum + count, 0);
        }
      });
      if (phase === 'verify') mentions = erasure.nameSweep?.remaining ?? 0;
      return { seconds: (performance.now() - started) / 1000, pages, mentions, operations: counts };
    };
    const redaction = await pass();
    const verification = await pass();

    const texts = Array.from({ length: TEXTS }, (_, index) => textOf(index));
    const matchAlone = (subjects: NamedSubject[]) => {
      const matcher = new NameMatcher(subjects);
      const started = performance.now();
      let found = 0;
      for (const text of texts) found += matcher.redact(text).mentions;
      return { ms: performance.now() - started, found };
    };
    const bulk = [...erased, ...Array.from({ length: 99 }, (_, index) => ({ kind: 'student' as const, phrases: namePhrases({ givenName: `Elev${index}`, familyName: `Etternavn${index}` }) }))];
    const one = matchAlone(erased);
    const hundred = matchAlone(bulk);

    const ops = (counts: OperationCounts) => `${counts['partition-query'] + counts['cross-partition-query']} query pages, ${counts.write} writes, ${counts['point-read']} reads`;
    console.log(`\n| per ${TEXTS} evaluations (${TEXTS * MENTIONING_SHARE} naming the erased student) | time (s) | activities (pages of ${NAME_SWEEP_PAGE_SIZE}) | Cosmos requests | mentions |`);
    console.log('|---|---|---|---|---|');
    console.log(`| redaction pass | ${fmt(redaction.seconds, 2)} | ${redaction.pages} | ${ops(redaction.operations)} | ${redaction.mentions} replaced |`);
    console.log(`| verification pass | ${fmt(verification.seconds, 2)} | ${verification.pages} | ${ops(verification.operations)} | ${verification.mentions} left |`);
    console.log(`| both passes | ${fmt(redaction.seconds + verification.seconds, 2)} | ${redaction.pages + verification.pages} | | |`);
    console.log(`\n| matching alone, in memory, ${TEXTS} texts | ms | mentions | ratio |`);
    console.log('|---|---|---|---|');
    console.log(`| 1 erased person | ${fmt(one.ms)} | ${one.found} | 1.0 |`);
    console.log(`| 100 erased people (bulk) | ${fmt(hundred.ms)} | ${hundred.found} | ${fmt(hundred.ms / one.ms)} |`);
    console.log(`\nmatching is ${fmt((one.ms / 1000 / redaction.seconds) * 100, 2)}% of the redaction pass; the rest is Cosmos DB`);
    if (redaction.mentions !== TEXTS * MENTIONING_SHARE || verification.mentions !== 0) process.exitCode = 1;
  } finally {
    await app.close();
    await Promise.all([azurite.stop(), cosmos.stop()]);
  }
}
