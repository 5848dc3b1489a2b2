import { defineFeature } from '../app/feature.js';
import { SessionStore } from './session-store.js';
import { sessionRoutes } from './session-routes.js';
import { sessionsPrivacyProvider } from './sessions-privacy.js';

/** P11: the browser's session cookie in place of a bearer token. */
export const sessionsFeature = defineFeature({
  name: 'sessions',
  services: ({ cosmos, clock, config }) => ({ sessions: new SessionStore(cosmos.containers.sessions, clock, config.privacyDigestKey) }),
  privacyProviders: ({ sessions }) => [sessionsPrivacyProvider(sessions)],
  routes: sessionRoutes,
});
