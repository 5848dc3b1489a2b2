import { StudentGate } from '../access/student-gate.js';
import { defineFeature } from '../app/feature.js';
import { groupsPrivacyProvider, nonPersonalDirectoryProvider, studentsPrivacyProvider, usersPrivacyProvider } from './directory-privacy.js';
import { groupRoutes } from './group-routes.js';
import { GroupStore } from './groups.js';
import { schoolRoutes } from './school-routes.js';
import { SchoolStore } from './schools.js';
import { SettingsStore } from './settings.js';
import { studentRoutes } from './student-routes.js';
import { StudentStore } from './students.js';
import { userRoutes } from './user-routes.js';
import { UserDirectory } from './users.js';

/** P2, P5: schools, groups, staff and students of each municipality, and who may see whom. */
export const directoryFeature = defineFeature({
  name: 'directory',
  services: ({ cosmos, clock, config, continuations }) => {
    const { directory, identities } = cosmos.containers;
    const settings = new SettingsStore(directory, clock, config.principalCacheSeconds * 1000);
    const students = new StudentStore(directory, clock, continuations);
    return {
      settings,
      users: new UserDirectory(directory, identities, clock, continuations),
      schools: new SchoolStore(directory, clock, continuations),
      groups: new GroupStore(directory, students, clock, continuations),
      students,
      studentGate: new StudentGate(students, settings),
    };
  },
  privacyProviders: ({ cosmos, groups, principals, users }) => [
    nonPersonalDirectoryProvider(),
    studentsPrivacyProvider(cosmos.containers.directory),
    usersPrivacyProvider(cosmos.containers.directory, users, (subject) => {
      if (subject.identity) principals.forget(subject.identity);
    }),
    groupsPrivacyProvider(groups),
  ],
  routes: [...schoolRoutes, ...groupRoutes, ...userRoutes, ...studentRoutes],
});
