import { createStaffUser, registerMunicipality, type SeededUser, type TestApp } from './test-app.js';

/**
 * A small but complete world for authorisation tests: two municipalities; in the home
 * municipality two schools, a group at the first, teachers in and out of it, admins of
 * every kind, students in and out of the group and at the other school, each with one
 * record of every kind.
 */
export interface SchoolWorld {
  home: string;
  foreign: string;
  schools: { own: string; other: string; foreign: string };
  group: string;
  students: { inGroup: string; sameSchool: string; otherSchool: string; foreign: string };
  records: Record<'inGroup' | 'sameSchool' | 'otherSchool' | 'foreign', { assessment: string; evaluation: string; grade: string }>;
  actors: {
    groupTeacher: SeededUser;
    schoolTeacher: SeededUser;
    otherSchoolTeacher: SeededUser;
    schoolAdmin: SeededUser;
    otherSchoolAdmin: SeededUser;
    municipalityAdmin: SeededUser;
    dataAdmin: SeededUser;
    foreignAdmin: SeededUser;
    foreignTeacher: SeededUser;
  };
  operatorToken: string;
}

export const RECORD_BODIES = {
  assessment: { testCode: 'LES-2', date: '2026-09-15', score: 31, maxScore: 40, belowThreshold: false },
  evaluation: { subjectCode: 'NOR1206', date: '2026-10-01', text: 'Viser god forståelse av tekstene.' },
  grade: { subjectCode: 'NOR1206', grade: '5', term: 'autumn', schoolYear: '2026-2027', kind: 'standpunkt' },
} as const;

const RECORD_PATHS = { assessment: 'assessments', evaluation: 'evaluations', grade: 'grades' } as const;

async function expectCreated(test: TestApp, path: string, token: string, body: unknown): Promise<string> {
  const response = await test.request<{ id: string }>('POST', path, { token, body });
  if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${response.text}`);
  return response.body.id;
}

export async function buildSchoolWorld(test: TestApp, home = '0301', foreign = '4601'): Promise<SchoolWorld> {
  await registerMunicipality(test, home);
  await registerMunicipality(test, foreign);
  const operatorToken = await test.operatorToken();
  const municipalityAdmin = await createStaffUser(test, home, ['municipality-admin']);
  const foreignAdmin = await createStaffUser(test, foreign, ['municipality-admin', 'data-admin']);
  const school = (m: string, token: string, name: string) => expectCreated(test, `/municipalities/${m}/schools`, token, { name });
  const own = await school(home, municipalityAdmin.token, 'Bjølsen skole');
  const other = await school(home, municipalityAdmin.token, 'Sagene skole');
  const foreignSchool = await school(foreign, foreignAdmin.token, 'Nordnes skole');

  const actors = {
    groupTeacher: await createStaffUser(test, home, ['teacher'], { schoolIds: [own] }),
    schoolTeacher: await createStaffUser(test, home, ['teacher'], { schoolIds: [own] }),
    otherSchoolTeacher: await createStaffUser(test, home, ['teacher'], { schoolIds: [other] }),
    schoolAdmin: await createStaffUser(test, home, ['school-admin'], { schoolIds: [own] }),
    otherSchoolAdmin: await createStaffUser(test, home, ['school-admin'], { schoolIds: [other] }),
    municipalityAdmin,
    dataAdmin: await createStaffUser(test, home, ['data-admin']),
    foreignAdmin,
    foreignTeacher: await createStaffUser(test, foreign, ['teacher'], { schoolIds: [foreignSchool] }),
  };

  const student = (m: string, token: string, schoolId: string, givenName: string) =>
    expectCreated(test, `/municipalities/${m}/students`, token, {
      givenName,
      familyName: 'Testesen',
      birthDate: '2012-03-04',
      schoolId,
      yearLevel: 8,
    });
  const students = {
    inGroup: await student(home, municipalityAdmin.token, own, 'Åse'),
    sameSchool: await student(home, municipalityAdmin.token, own, 'Ørjan'),
    otherSchool: await student(home, municipalityAdmin.token, other, 'Ærlend'),
    foreign: await student(foreign, foreignAdmin.token, foreignSchool, 'Frida'),
  };
  const group = await expectCreated(test, `/municipalities/${home}/groups`, municipalityAdmin.token, {
    schoolId: own,
    name: '8A',
    teacherIds: [actors.groupTeacher.id],
    studentIds: [students.inGroup],
  });
  await expectCreated(test, `/municipalities/${foreign}/groups`, foreignAdmin.token, {
    schoolId: foreignSchool,
    name: '8B',
    teacherIds: [actors.foreignTeacher.id],
    studentIds: [students.foreign],
  });

  // Records are written by a teacher who sees each student: municipality-wide visibility for the set-up only.
  const recordsFor = async (m: string, studentId: string, token: string) => {
    const ids = {} as { assessment: string; evaluation: string; grade: string };
    for (const kind of ['assessment', 'evaluation', 'grade'] as const) {
      ids[kind] = await expectCreated(test, `/municipalities/${m}/students/${studentId}/${RECORD_PATHS[kind]}`, token, RECORD_BODIES[kind]);
    }
    return ids;
  };
  const setupTeacher = await createStaffUser(test, home, ['teacher'], { schoolIds: [own, other] });
  await setVisibility(test, home, 'municipality', await createStaffUser(test, home, ['data-admin']));
  const records = {
    inGroup: await recordsFor(home, students.inGroup, setupTeacher.token),
    sameSchool: await recordsFor(home, students.sameSchool, setupTeacher.token),
    otherSchool: await recordsFor(home, students.otherSchool, setupTeacher.token),
    foreign: await recordsFor(foreign, students.foreign, actors.foreignTeacher.token),
  };
  await setVisibility(test, home, 'group', actors.dataAdmin);
  return { home, foreign, schools: { own, other, foreign: foreignSchool }, group, students, records, actors, operatorToken };
}

export async function setVisibility(test: TestApp, municipalityId: string, visibility: 'group' | 'school' | 'municipality', dataAdmin: SeededUser): Promise<void> {
  const current = await test.request('GET', `/municipalities/${municipalityId}/settings`, { token: dataAdmin.token });
  const response = await test.request('PATCH', `/municipalities/${municipalityId}/settings`, {
    token: dataAdmin.token,
    body: { studentVisibility: visibility },
    headers: { 'if-match': current.headers.get('etag') as string },
  });
  if (response.status !== 200) throw new Error(`could not set visibility: ${response.status} ${response.text}`);
}
