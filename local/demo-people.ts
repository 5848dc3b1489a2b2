import type { TenantRole } from '../lib/identity/principal.js';

/**
 * The demo municipality's people, declared once: local/demo-roster.ts writes them as the
 * OneRoster 1.2 set a school administration system would export, the seed (local/demo-seed.ts)
 * imports that set through the roster import and writes what a roster cannot hold (the
 * municipality, its admins, the records) through the API's use cases. Plausible in the
 * Norwegian school system: year 1 starts in August of the year a child turns 6, a barneskole
 * has years 1-7, an ungdomsskole 8-10, and leavers left in June from the last year of their
 * school. No record is dated after today or after a pupil left.
 */

/** A fictional municipality: 9999 is not a kommunenummer in use. */
export const DEMO_MUNICIPALITY = '9999';
export const DEMO_MUNICIPALITY_NAME = 'Demokommune';

export interface DemoSchool { name: string; firstYear: number; lastYear: number }

export const DEMO_SCHOOLS: readonly DemoSchool[] = [
  { name: 'Fjellbygda skole', firstYear: 1, lastYear: 7 },
  { name: 'Sjøkanten ungdomsskole', firstYear: 8, lastYear: 10 },
  { name: 'Ærøy oppvekstsenter', firstYear: 1, lastYear: 10 },
];

export interface DemoStaff { subject: string; name: string; roles: TenantRole[]; school?: number }

export const DEMO_STAFF: readonly DemoStaff[] = [
  { subject: 'demo-municipality-admin', name: 'Mona Kommunesen', roles: ['municipality-admin'] },
  { subject: 'demo-data-admin', name: 'Dag Databehandler', roles: ['data-admin'] },
  { subject: 'demo-school-admin', name: 'Solveig Rektor', roles: ['school-admin'], school: 0 },
  { subject: 'demo-teacher', name: 'Tor Lærer', roles: ['teacher'], school: 0 },
  { subject: 'demo-teacher-2', name: 'Åshild Lærer', roles: ['teacher'], school: 1 },
];

/** Staff email: the reserved `.invalid` domain, so no demo mail can reach anyone. */
export function demoStaffEmail(person: DemoStaff): string {
  return `${person.subject}@demo.engage.invalid`;
}

export interface DemoRecords {
  assessment: { testCode: string; date: string; score: number; maxScore: number; belowThreshold: boolean };
  evaluation: { subjectCode: string; date: string; text: string };
  /** Karakterer are given in ungdomsskole (years 8-10) only. */
  grade?: { subjectCode: string; grade: string; term: 'autumn' | 'spring'; schoolYear: string; kind: 'standpunkt' };
}

export interface DemoStudent {
  givenName: string;
  familyName: string;
  birthDate: string;
  school: number;
  /** For a leaver, the year they left from. */
  yearLevel: number;
  status: 'active' | 'leaver';
  leftAt?: string;
  records: DemoRecords;
}

/** A teaching group this school year: its school, its teacher, and the year level its pupils are in. */
export interface DemoGroup { name: string; school: number; teacher: string; yearLevel: number; size: number }

export const DEMO_GROUPS: readonly DemoGroup[] = [
  { name: '5A', school: 0, teacher: 'demo-teacher', yearLevel: 5, size: 25 },
  { name: '9B', school: 1, teacher: 'demo-teacher-2', yearLevel: 9, size: 25 },
];

/** A group's pupils: the first `size` active pupils of its school and year level, in declaration order. */
export function demoGroupMembers(group: DemoGroup, students: readonly DemoStudent[]): DemoStudent[] {
  return students.filter((student) => student.school === group.school && student.yearLevel === group.yearLevel && student.status === 'active').slice(0, group.size);
}

/**
 * Last school year's class of a school's last year, the one its leavers left in June. The
 * class has ended, so it is a closed group without members; it is kept, as groups are.
 */
export interface DemoLeavingClass { name: string; school: number; yearLevel: number }

export const DEMO_LEAVING_CLASSES: readonly DemoLeavingClass[] = DEMO_SCHOOLS.map((school, index) => ({ name: `${school.lastYear}A`, school: index, yearLevel: school.lastYear }));

const GIVEN = ['Åse', 'Ørjan', 'Ærlend', 'Ingrid', 'Jonas', 'Sofie', 'Emil', 'Nora', 'Filip', 'Maja'];
const FAMILY = ['Haugen', 'Sæther', 'Løvås', 'Bråten', 'Strøm', 'Dahl', 'Kvalø', 'Nygård', 'Aas', 'Fjære'];
const STUDENTS = 200;
/** One pupil in twenty left last June. */
const LEAVER_EVERY = 20;

const pad = (value: number) => String(value).padStart(2, '0');
const isoDay = (date: Date) => date.toISOString().slice(0, 10);
const earliest = (a: string, b: string) => (a < b ? a : b);

/** The calendar year the current school year began in (August). */
export function schoolYearStart(today: Date): number {
  return today.getUTCMonth() >= 7 ? today.getUTCFullYear() : today.getUTCFullYear() - 1;
}

/** Year level in the school year that began in `startYear`, for a child born in `birthYear`. */
export function yearLevelOf(birthYear: number, startYear: number): number {
  return startYear - birthYear - 5;
}

/** The demo pupils as of `today`: who they are, where, in which year, and their records. */
export function demoStudents(today: Date): DemoStudent[] {
  const start = schoolYearStart(today);
  const now = isoDay(today);
  return [...Array(STUDENTS).keys()].map((index) => {
    const school = DEMO_SCHOOLS[index % DEMO_SCHOOLS.length] as DemoSchool;
    const leaver = index % LEAVER_EVERY === 0;
    const span = school.lastYear - school.firstYear + 1;
    const yearLevel = leaver ? school.lastYear : school.firstYear + (Math.floor(index / DEMO_SCHOOLS.length) % span);
    // A leaver was in their last year in the school year before this one.
    const yearOfRecords = leaver ? start - 1 : start;
    const birthYear = yearOfRecords - 5 - yearLevel;
    const leftAt = `${start}-06-20`;
    const schoolYear = `${yearOfRecords}-${yearOfRecords + 1}`;
    const lastDay = leaver ? leftAt : now;
    const records: DemoRecords = {
      assessment: {
        testCode: `LES-${yearLevel}`,
        date: earliest(`${yearOfRecords}-09-10`, lastDay),
        score: 20 + (index % 20),
        maxScore: 40,
        belowThreshold: index % 7 === 0,
      },
      evaluation: { subjectCode: 'NOR1206', date: earliest(leaver ? `${start}-03-05` : `${start}-10-05`, lastDay), text: 'Jobber jevnt og godt.' },
      ...(yearLevel >= 8
        ? { grade: { subjectCode: 'MAT0010', grade: String(1 + (index % 6)), term: leaver ? 'spring' as const : 'autumn' as const, schoolYear, kind: 'standpunkt' as const } }
        : {}),
    };
    return {
      givenName: GIVEN[index % GIVEN.length] as string,
      familyName: FAMILY[Math.floor(index / GIVEN.length) % FAMILY.length] as string,
      birthDate: `${birthYear}-${pad(1 + (index % 12))}-${pad(1 + (index % 28))}`,
      school: DEMO_SCHOOLS.indexOf(school),
      yearLevel,
      status: leaver ? 'leaver' : 'active',
      ...(leaver ? { leftAt } : {}),
      records,
    };
  });
}
