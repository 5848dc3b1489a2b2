import type { TenantRole } from '../lib/identity/principal.js';
import type { Services } from '../lib/services.js';
import { DEV_ISSUER } from './dev-issuer.js';

/** A fictional municipality: 9999 is not a kommunenummer in use. */
export const DEMO_MUNICIPALITY = '9999';

export const DEMO_STAFF: { subject: string; name: string; roles: TenantRole[]; school?: number }[] = [
  { subject: 'demo-municipality-admin', name: 'Mona Kommunesen', roles: ['municipality-admin'] },
  { subject: 'demo-data-admin', name: 'Dag Databehandler', roles: ['data-admin'] },
  { subject: 'demo-school-admin', name: 'Solveig Rektor', roles: ['school-admin'], school: 0 },
  { subject: 'demo-teacher', name: 'Tor Lærer', roles: ['teacher'], school: 0 },
  { subject: 'demo-teacher-2', name: 'Åshild Lærer', roles: ['teacher'], school: 1 },
];

const SCHOOLS = ['Fjellbygda skole', 'Sjøkanten ungdomsskole', 'Ærøy oppvekstsenter'];
const GIVEN = ['Åse', 'Ørjan', 'Ærlend', 'Ingrid', 'Jonas', 'Sofie', 'Emil', 'Nora', 'Filip', 'Maja'];
const FAMILY = ['Haugen', 'Sæther', 'Løvås', 'Bråten', 'Strøm', 'Dahl', 'Kvalø', 'Nygård', 'Aas', 'Fjære'];
const STUDENTS = 200;

async function inBatches<T>(items: T[], size: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += size) {
    await Promise.all(items.slice(start, start + size).map((item, offset) => work(item, start + offset)));
  }
}

/**
 * Seeds a demo municipality through the same use cases the API uses, once: if the
 * municipality exists, nothing happens. Returns whether it seeded.
 */
export async function seedDemoData(services: Services): Promise<boolean> {
  if (await services.municipalities.find(DEMO_MUNICIPALITY)) return false;
  await services.municipalities.register({ id: DEMO_MUNICIPALITY, name: 'Demokommune' });
  await services.settings.initialise(DEMO_MUNICIPALITY);
  const schools: string[] = [];
  for (const name of SCHOOLS) schools.push((await services.schools.create(DEMO_MUNICIPALITY, { name })).value.id);
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
  const students: { id: string; school: number }[] = [];
  await inBatches([...Array(STUDENTS).keys()], 10, async (_item, index) => {
    const school = index % SCHOOLS.length;
    const leaver = index % 20 === 0;
    const student = await services.students.create(DEMO_MUNICIPALITY, {
      givenName: GIVEN[index % GIVEN.length] as string,
      familyName: FAMILY[Math.floor(index / GIVEN.length) % FAMILY.length] as string,
      birthDate: `${2009 + (index % 6)}-0${1 + (index % 9)}-1${index % 10}`,
      schoolId: schools[school] as string,
      yearLevel: 5 + (index % 6),
      status: leaver ? 'leaver' : 'active',
      ...(leaver ? { leftAt: '2026-06-20' } : {}),
    });
    students.push({ id: student.value.id, school });
    const author = staff.get('demo-teacher') as string;
    await services.records.create('assessment', student.value, author, {
      testCode: 'LES-8', date: '2026-09-10', score: 20 + (index % 20), maxScore: 40, belowThreshold: index % 7 === 0,
    });
    await services.records.create('evaluation', student.value, author, { subjectCode: 'NOR1206', date: '2026-10-05', text: 'Jobber jevnt og godt.' });
    await services.records.create('grade', student.value, author, {
      subjectCode: 'MAT0010', grade: String(1 + (index % 6)), term: 'autumn', schoolYear: '2026-2027', kind: 'standpunkt',
    });
  });
  for (const [school, teacher] of [[0, 'demo-teacher'], [1, 'demo-teacher-2']] as const) {
    const members = students.filter((student) => student.school === school).slice(0, 25).map((student) => student.id);
    await services.groups.create(DEMO_MUNICIPALITY, {
      schoolId: schools[school] as string,
      name: school === 0 ? '8A' : '9B',
      teacherIds: [staff.get(teacher) as string],
      studentIds: members,
    });
  }
  return true;
}
