import { DEV_OPERATOR_SUBJECT } from './dev-issuer.js';
import { DEMO_MUNICIPALITY, DEMO_STAFF } from './demo-people.js';

export interface BannerFacts {
  /** The API's base URL, e.g. http://127.0.0.1:7071/api. */
  api: string;
  cosmosEndpoint: string;
  blobEndpoint: string;
  /** Whether the stack runs its own emulators (in memory: every start begins empty). */
  ownEmulators: boolean;
  seed: string;
}

/**
 * What `npm start` prints once it is up. Every command line runs as printed in bash or zsh
 * (`-s` keeps npm's header out of a captured token); the README gives the Windows forms.
 */
export function startBanner(facts: BannerFacts): string {
  const token = (subject: string) => `npm run -s token -- ${subject}`;
  const roles = [
    { roles: 'platform-operator', subject: DEV_OPERATOR_SUBJECT },
    ...DEMO_STAFF.map((person) => ({ roles: person.roles.join(','), subject: person.subject })),
  ];
  const data = facts.ownEmulators ? 'both in memory: every start begins empty' : 'emulators of your own';
  return `
Engage API on ${facts.api}   (Cosmos: ${facts.cosmosEndpoint}, Blob: ${facts.blobEndpoint}; ${data})
  health:   curl ${facts.api}/health
  docs:     ${facts.api}/docs   (open in a browser)
  a token:  TOKEN=$(${token('demo-teacher')})
  then:     curl -H "Authorization: Bearer $TOKEN" ${facts.api}/me
Demo municipality ${DEMO_MUNICIPALITY} ${facts.seed}; a token for each role:
${roles.map(({ roles: names, subject }) => `  ${names.padEnd(20)} ${token(subject)}`).join('\n')}
Ctrl-C stops the API and the emulators.`;
}
