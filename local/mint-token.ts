import { join } from 'node:path';
import { loadOrCreateDevKeys, mintDevToken } from './dev-issuer.js';

// Prints a dev-issuer token for the subject given: `npm run -s token -- <subject>`.
const subject = process.argv[2];
if (!subject) {
  console.error('usage: npm run -s token -- <subject>   (e.g. dev-platform-operator)');
  process.exit(2);
}
const keys = await loadOrCreateDevKeys(join(process.cwd(), '.local'));
console.log(await mintDevToken(keys, subject));
