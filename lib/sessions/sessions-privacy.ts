import type { PrivacyProvider } from '../privacy/privacy-provider.js';
import { SESSION_DOCUMENT_TYPES, type SessionStore } from './session-store.js';

/**
 * Browser sessions (P11) hold the sign-in identity they resume. Erasure ends every session
 * of the person, so a cookie of an erased user stops working at once.
 */
export function sessionsPrivacyProvider(sessions: SessionStore): PrivacyProvider {
  return {
    name: 'sessions',
    locations: [{ kind: 'cosmos', container: 'sessions', documentTypes: SESSION_DOCUMENT_TYPES }],
    categories: ['sign-in identity of open browser sessions', 'when each session started and was last used'],
    purpose: 'Keep the browser signed in (P11)',
    retention: `Until sign-out, ${sessions.options.idleSeconds / 60} minutes without use or ${sessions.options.absoluteSeconds / 3600} hours after sign-in; erased with the account`,
    subjects: ['user'],
    order: 5,
    async export(subject) {
      return {
        provider: this.name,
        description: 'Browser sessions that are still stored',
        items: subject.identity ? (await sessions.listFor(subject.identity)).map((session) => ({ ...session })) : [],
      };
    },
    erase: async (subject) => (subject.identity ? sessions.endAll(subject.identity) : 0),
    async verify(subject) {
      return subject.identity && (await sessions.hasIndex(subject.identity)) ? ['browser sessions are still stored'] : [];
    },
  };
}
