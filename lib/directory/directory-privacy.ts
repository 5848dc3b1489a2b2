import type { Container } from '@azure/cosmos';
import type { UserDirectory } from './users.js';
import type { ExportSection, PrivacyProvider, PrivacySubject } from '../privacy/privacy-provider.js';
import type { GroupStore } from './groups.js';
import { deleteIfPresent } from '../data/documents.js';

async function readRaw(container: Container, id: string, partitionKey: string): Promise<Record<string, unknown> | undefined> {
  const { resource } = await container.item(id, partitionKey).read<Record<string, unknown>>();
  return resource ?? undefined;
}

function withoutSystemFields(document: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(document).filter(([key]) => !key.startsWith('_') && key !== 'erasureId'));
}

/** The student's own document: name, birth date, school. Deleted last, after everything else. */
export function studentsPrivacyProvider(directory: Container): PrivacyProvider {
  return {
    name: 'directory.students',
    locations: [{ kind: 'cosmos', container: 'directory', documentTypes: ['student'] }],
    categories: ['name', 'birth date', 'school and year level', 'status as leaver'],
    purpose: 'Registering students so schools can record screening tests, evaluations and grades (P2)',
    retention: "Until the controller's data admin instructs erasure (P16)",
    subjects: ['student'],
    order: 100,
    async export(subject): Promise<ExportSection> {
      const student = await readRaw(directory, subject.id, subject.municipalityId);
      return { provider: this.name, description: 'Student record', items: student?.type === 'student' ? [withoutSystemFields(student)] : [] };
    },
    erase: (subject) => deleteIfPresent(directory, subject.id, subject.municipalityId),
    async verify(subject) {
      return (await readRaw(directory, subject.id, subject.municipalityId)) ? ['the student document still exists'] : [];
    },
  };
}

/** Staff users and the identity mapping that lets them sign in (one membership per municipality). */
export function usersPrivacyProvider(directory: Container, users: UserDirectory, forgetSignIn: (subject: PrivacySubject) => void): PrivacyProvider {
  return {
    name: 'directory.users',
    locations: [
      { kind: 'cosmos', container: 'directory', documentTypes: ['user', 'data-admins'] },
      { kind: 'cosmos', container: 'identities', documentTypes: ['identity'] },
    ],
    categories: ['name', 'email', 'phone', 'roles and schools', 'sign-in identity (issuer and subject)'],
    purpose: 'Staff accounts: signing in and authorising access (P1, P5)',
    retention: "Until the controller's data admin instructs erasure (P16)",
    subjects: ['user'],
    order: 100,
    async export(subject): Promise<ExportSection> {
      const user = await readRaw(directory, subject.id, subject.municipalityId);
      return { provider: this.name, description: 'Staff account', items: user?.type === 'user' ? [withoutSystemFields(user)] : [] };
    },
    async erase(subject) {
      // Only this municipality's membership: the same person may still work in another one.
      const mapping = subject.identity ? await users.memberships.release(subject.identity, subject.municipalityId, subject.id) : 0;
      forgetSignIn(subject);
      const roster = await users.dataAdmins.drop(subject.municipalityId, subject.id);
      return mapping + roster + (await deleteIfPresent(directory, subject.id, subject.municipalityId));
    },
    async verify(subject) {
      const leftovers: string[] = [];
      if (subject.identity && (await users.memberships.holds(subject.identity, subject.municipalityId, subject.id))) leftovers.push('the identity mapping still names the user');
      if (await users.dataAdmins.names(subject.municipalityId, subject.id)) leftovers.push('the data admin roster still names the user');
      if (await readRaw(directory, subject.id, subject.municipalityId)) leftovers.push('the user document still exists');
      return leftovers;
    },
  };
}

/** Group membership: ids of students and teachers. Erasure takes the person out of every group. */
export function groupsPrivacyProvider(groups: GroupStore): PrivacyProvider {
  return {
    name: 'directory.groups',
    locations: [{ kind: 'cosmos', container: 'directory', documentTypes: ['group'] }],
    categories: ['group membership'],
    purpose: 'Which teachers teach which students; decides visibility (P5)',
    retention: 'While the person is registered',
    subjects: ['student', 'user'],
    order: 10,
    async export(subject) {
      const holding = await groups.groupsWith(subject.municipalityId, subject.id);
      return {
        provider: this.name,
        description: 'Teaching groups the person belongs to',
        items: holding.map((group) => ({ groupId: group.id, name: group.name, schoolId: group.schoolId, role: group.teacherIds.includes(subject.id) ? 'teacher' : 'student' })),
      };
    },
    erase: (subject) => groups.removeMember(subject.municipalityId, subject.id),
    async verify(subject) {
      const holding = await groups.groupsWith(subject.municipalityId, subject.id);
      return holding.map((group) => `still a member of group ${group.id}`);
    },
  };
}

/** Documents that hold no personal data, declared so the coverage test knows they were considered. */
export function nonPersonalDirectoryProvider(): PrivacyProvider {
  return {
    name: 'directory.non-personal',
    locations: [
      { kind: 'cosmos', container: 'directory', documentTypes: ['settings', 'school', 'bootstrap'] },
      { kind: 'cosmos', container: 'platform', documentTypes: ['municipality'] },
    ],
    categories: [],
    purpose: "The controller's settings, schools, when its first admin was registered, and the tenant registry: no personal data",
    retention: 'While the municipality uses the service',
    subjects: [],
    export: async () => ({ provider: 'directory.non-personal', description: 'No personal data', items: [] }),
    erase: async () => 0,
    verify: async () => [],
  };
}
