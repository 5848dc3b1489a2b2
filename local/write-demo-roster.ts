import { writeFile } from 'node:fs/promises';
import { loadConfig } from '../lib/config/config.js';
import { DEMO_MUNICIPALITY } from './demo-people.js';
import { demoRosterZip } from './demo-roster.js';
import { localEnvironment } from './local-app.js';
import { azuriteEndpoint, cosmosEmulatorEndpoint } from './stack.js';

// Writes the demo municipality's OneRoster 1.2 set as of today, the one `npm start` imports: `npm run -s demo-roster -- <file.zip>`.
const target = process.argv[2];
if (!target) {
  console.error('usage: npm run -s demo-roster -- <file.zip>');
  process.exit(2);
}
// The login type in userIds is the one `npm start` reads (ROSTER_IDENTITY_TYPE), from the same configuration.
const { rosterIdentity } = loadConfig(localEnvironment({ cosmosEndpoint: cosmosEmulatorEndpoint(8081), blobEndpoint: azuriteEndpoint(10000), env: process.env }));
await writeFile(target, demoRosterZip({ today: new Date(), identityType: rosterIdentity.type }));
console.log(`${target}: the OneRoster 1.2 bulk set of demo municipality ${DEMO_MUNICIPALITY}, as of today`);
