import type { Services } from '../lib/services.js';
import { DEMO_GROUPS, DEMO_MUNICIPALITY, DEMO_MUNICIPALITY_NAME, DEMO_SCHOOLS, DEMO_STAFF, demoStudents } from './demo-people.js';
import { DEV_ISSUER } from './dev-issuer.js';

export { DEMO_MUNICIPALITY, DEMO_STAFF } from './demo-people.js';

export type SeedOutcome = 'seeded' | 'already present';

async function inBatches<T>(items: T[], size: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += size) {
    await Promise.all(items.slice(start, start + size).map((item, offset) => work(item, start + offset)));
  }
}

/**
 * Writes the demo people (local/demo-people.ts, as of the services' clock) through the same use
 * cases the API uses. Idempotent: when the municipality is there, nothing is written.
 */
export async function seedDemoData(services: Services): Promise<SeedOutcome> {
  if (await services.municipalities.find(DEMO_MUNICIPALITY)) return 'already present';
  await services.municipalities.register({ id: DEMO_MUNICIPALITY, name: DEMO_MUNICIPALITY_NAME });
  await services.settings.initialise(DEMO_MUNICIPALITY);
  const schools: string[] = [];
  for (const { name } of DEMO_SCHOOLS) schools.push((await services.schools.create(DEMO_MUNICIPALITY, { name })).value.id);
  const staff = new Map<string, string>();
  for (const person of DEMO_STAFF) {
    const user = await services.users.create(DEMO_MUNICIPALITY, {
      name: person.name,
      email: `${person.subject}@demo.engage.invalid`,
      roles: person.roles,
      schoolIds: person.school === undefined ? [] : [schools[person.school] as string],
      identity: { issuer: DEV_ISSUER, subject: person.subject },
    });
    staff.set(person.subject, user.id);
  }
  const author = staff.get('demo-teacher') as string;
  const created: { id: string; school: number; yearLevel: number; status: string }[] = [];
  await inBatches(demoStudents(services.clock.now()), 10, async ({ records, school, ...person }) => {
    const student = await services.students.create(DEMO_MUNICIPALITY, { ...person, schoolId: schools[school] as string });
    created.push({ id: student.value.id, school, yearLevel: person.yearLevel, status: person.status });
    await services.records.create('assessment', student.value, author, records.assessment);
    await services.records.create('evaluation', student.value, author, records.evaluation);
    if (records.grade) await services.records.create('grade', student.value, author, records.grade);
  });
  for (const group of DEMO_GROUPS) {
    const members = created
      .filter((student) => student.school === group.school && student.yearLevel === group.yearLevel && student.status === 'active')
      .slice(0, group.size);
    await services.groups.create(DEMO_MUNICIPALITY, {
      schoolId: schools[group.school] as string,
      name: group.name,
      teacherIds: [staff.get(group.teacher) as string],
      studentIds: members.map((student) => student.id),
    });
  }
  return 'seeded';
}
